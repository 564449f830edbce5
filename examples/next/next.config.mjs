/** @type {import('next').NextConfig} */
const nextConfig = {
  // Gatehouse (node:sqlite, argon2, pino) runs as Node loads it, not bundled.
  serverExternalPackages: ['gatehouse', 'piscina'],
  // The repository's TypeScript is the native compiler (no JavaScript API for Next to call):
  // `npm run typecheck:next` type-checks this app with this folder's tsconfig instead.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
