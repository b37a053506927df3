#!/usr/bin/env node
import { createRequire as __evalGateCreateRequire } from 'node:module';
const require = __evalGateCreateRequire(import.meta.url);
import{githubCommentStore,pullRequestHead}from"./chunk-AWD2QAP3.js";import"./chunk-YAJBFJOZ.js";import"./chunk-HRVN3BQA.js";export{githubCommentStore,pullRequestHead};
