#!/usr/bin/env node
import { createRequire as __evalGateCreateRequire } from 'node:module';
const require = __evalGateCreateRequire(import.meta.url);
var State={cacheDir:"cache-dir",cacheScope:"cache-scope",cacheSince:"cache-since",cacheSaved:"cache-saved",cancelled:"cancelled"};export{State};
