/** Child-process entry of the attribution benchmark: runs one case and prints its JSON result. */
import { runCase } from './attribution';

const result = await runCase(JSON.parse(process.argv[2]));
process.stdout.write(JSON.stringify(result) + '\n');
