import { provideTestServer } from '@ebox/dev-postgres'

/** The PostgreSQL server of the run: DATABASE_URL, or an embedded one for this run. */
export default provideTestServer
