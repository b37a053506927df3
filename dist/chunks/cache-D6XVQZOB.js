#!/usr/bin/env node
import { createRequire as __evalGateCreateRequire } from 'node:module';
const require = __evalGateCreateRequire(import.meta.url);
import{MAX_CACHE_BYTES,cacheClient,restoreResponses,runKey,saveResponses}from"./chunk-BBQ4TA6F.js";import"./chunk-VUNVSA75.js";import"./chunk-UBVQXL2G.js";import"./chunk-HRVN3BQA.js";export{MAX_CACHE_BYTES,cacheClient,restoreResponses,runKey,saveResponses};
