// The Porter stemmer against the examples in Porter's 1980 paper, step by step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stem } from '../../tools/stemmer.js';

const paper: Record<string, string> = {
  caresses: 'caress',
  ponies: 'poni',
  cats: 'cat',
  feed: 'feed',
  agreed: 'agre',
  plastered: 'plaster',
  motoring: 'motor',
  sing: 'sing',
  conflated: 'conflat',
  troubled: 'troubl',
  sized: 'size',
  hopping: 'hop',
  falling: 'fall',
  hissing: 'hiss',
  failing: 'fail',
  filing: 'file',
  happy: 'happi',
  sky: 'sky',
  relational: 'relat',
  conditional: 'condit',
  rational: 'ration',
  digitizer: 'digit',
  vietnamization: 'vietnam',
  operator: 'oper',
  feudalism: 'feudal',
  decisiveness: 'decis',
  hopefulness: 'hope',
  sensitiviti: 'sensit',
  triplicate: 'triplic',
  formative: 'form',
  electrical: 'electr',
  goodness: 'good',
  revival: 'reviv',
  allowance: 'allow',
  airliner: 'airlin',
  adjustable: 'adjust',
  replacement: 'replac',
  adjustment: 'adjust',
  dependent: 'depend',
  adoption: 'adopt',
  communism: 'commun',
  effective: 'effect',
  bowdlerize: 'bowdler',
  probate: 'probat',
  rate: 'rate',
  cease: 'ceas',
  controll: 'control',
  roll: 'roll',
  generalizations: 'gener',
  oscillators: 'oscil',
};

test('the Porter stemmer gives the published stems', () => {
  for (const [word, expected] of Object.entries(paper)) assert.equal(stem(word), expected, word);
});

test('inflections and derivations meet on one stem; short words and non-words are left alone', () => {
  assert.equal(stem('vulnerabilities'), stem('vulnerability'));
  assert.equal(stem('dependencies'), stem('dependency'));
  assert.equal(stem('complexity'), stem('complex'));
  assert.equal(stem('as'), 'as');
  assert.equal(stem('sha256'), 'sha256');
});
