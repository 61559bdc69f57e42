import { provideTestServer } from './test-server.ts'

export default provideTestServer
