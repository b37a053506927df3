#!/usr/bin/env node
import { createRequire as __evalGateCreateRequire } from 'node:module';
const require = __evalGateCreateRequire(import.meta.url);
import{MAX_CACHE_BYTES,cacheClient,restoreResponses,runKey,saveResponses}from"./chunk-QWMVNZBC.js";import"./chunk-VUNVSA75.js";import"./chunk-XW4QUFEF.js";import"./chunk-HRVN3BQA.js";export{MAX_CACHE_BYTES,cacheClient,restoreResponses,runKey,saveResponses};
