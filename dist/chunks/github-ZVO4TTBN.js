#!/usr/bin/env node
import { createRequire as __evalGateCreateRequire } from 'node:module';
const require = __evalGateCreateRequire(import.meta.url);
import{githubCommentStore,pullRequestHeadSha}from"./chunk-FZLSUBE7.js";import"./chunk-YAJBFJOZ.js";import"./chunk-HRVN3BQA.js";export{githubCommentStore,pullRequestHeadSha};
