/**
 * The functions validate with `zod/mini`, the tree-shakable build of the same zod 4 the stack
 * uses, so a bundle carries only the schemas it builds instead of the whole library. zod/mini
 * loads no locale and would report every issue as "Invalid input"; importing this module loads the
 * English messages the full build gives (`Too small: expected number to be >0`), so configuration
 * and spillover errors read as they always did. Import it, for its effect, next to `zod/mini`.
 */

import { en } from 'zod/locales';
import { config } from 'zod/mini';

config(en());
