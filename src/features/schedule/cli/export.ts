// npm run schedule:export [> FILE] — writes the current setup in the setup-file format.
import { connectDatabase } from '../../../db/client.js';
import { runWithDatabase } from '../../../db/cli/run.js';
import { todayInJapan } from '../../../lib/jst.js';
import { exportSetup } from '../setup-file.js';

await runWithDatabase(async (databaseUrl) => {
  const database = connectDatabase(databaseUrl, 2);
  try {
    process.stdout.write(await exportSetup(database.prisma, todayInJapan()));
  } finally {
    await database.close();
  }
});
