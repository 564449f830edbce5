import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../index.ts';
import { settingsFromEnv } from './env.ts';
import { withPagesByDefault } from './ui-env.ts';

describe('the hosted pages from the environment', () => {
  it('the standalone server serves the pages unless GATEHOUSE_UI=false', () => {
    assert.deepEqual(withPagesByDefault(settingsFromEnv({}).config).ui, { enabled: true });
    const off = settingsFromEnv({ GATEHOUSE_UI: 'false' }).config;
    assert.deepEqual(withPagesByDefault(off).ui, { enabled: false });
  });

  it('GATEHOUSE_PUBLIC_URL points mail links there and trusts its origin for forms; GATEHOUSE_MAIL_LINK_BASE wins for links', () => {
    const config = settingsFromEnv({
      GATEHOUSE_PUBLIC_URL: 'https://id.example.com/',
      GATEHOUSE_MAIL_URL: 'console',
      GATEHOUSE_APP_NAME: 'Example',
    }).config;
    assert.deepEqual(config.mail, { url: 'console', linkBase: 'https://id.example.com/' });
    assert.deepEqual(config.csrf, { trustedOrigins: ['https://id.example.com'] });
    assert.equal(config.appName, 'Example');
    const links = settingsFromEnv({
      GATEHOUSE_PUBLIC_URL: 'https://id.example.com',
      GATEHOUSE_MAIL_LINK_BASE: 'https://app.example.com/auth',
      GATEHOUSE_MAIL_LINKS: '{"verifyEmail":"/verify"}',
    }).config;
    assert.deepEqual(links.mail, {
      linkBase: 'https://app.example.com/auth',
      links: { verifyEmail: '/verify' },
    });
  });

  it('malformed values are reported by variable name', () => {
    try {
      settingsFromEnv({ GATEHOUSE_UI: 'yes', GATEHOUSE_PUBLIC_URL: 'ftp://x', GATEHOUSE_MAIL_LINKS: '[1]' });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(
        error.problems.map((p) => p.path),
        ['GATEHOUSE_UI', 'GATEHOUSE_PUBLIC_URL', 'GATEHOUSE_MAIL_LINKS'],
      );
    }
  });
});
