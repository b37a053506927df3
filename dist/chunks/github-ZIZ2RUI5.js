#!/usr/bin/env node
import { createRequire as __evalGateCreateRequire } from 'node:module';
const require = __evalGateCreateRequire(import.meta.url);
import{githubCommentStore,pullRequestHead}from"./chunk-37IFFHAE.js";import"./chunk-YAJBFJOZ.js";import"./chunk-HRVN3BQA.js";export{githubCommentStore,pullRequestHead};
