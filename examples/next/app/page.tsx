export default function Home() {
  return (
    <main>
      <h1>Gatehouse in Next.js</h1>
      <p>
        Gatehouse answers under <code>/api</code>; see <a href="/account">your account</a>.
      </p>
    </main>
  );
}
