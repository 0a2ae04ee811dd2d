import { describe, expect, it } from 'vitest';
import { capFrameRate, formatFrameRate, frameRateFromNumber, frameRateValue, halveFrameRate } from './frame-rate.js';

describe('frame rates', () => {
  it.each([
    [30, '30/1'],
    [29.97, '30000/1001'],
    [29.97002997, '30000/1001'],
    [59.94, '60000/1001'],
    [23.976, '24000/1001'],
    [25, '25/1'],
    [12.5, '25/2'],
    [14.985, '15000/1001'],
    [30.004, '30/1'],
    [7.3, '73/10'],
  ])('%d → %s', (fps, text) => {
    expect(formatFrameRate(frameRateFromNumber(fps))).toBe(text);
  });

  it('halves exactly', () => {
    expect(halveFrameRate({ num: 60000, den: 1001 })).toEqual({ num: 30000, den: 1001 });
    expect(halveFrameRate({ num: 25, den: 1 })).toEqual({ num: 25, den: 2 });
  });

  it('caps by halving', () => {
    expect(formatFrameRate(capFrameRate({ num: 120, den: 1 }, 60))).toBe('60/1');
    expect(formatFrameRate(capFrameRate({ num: 144, den: 1 }, 60))).toBe('36/1');
    expect(formatFrameRate(capFrameRate({ num: 60000, den: 1001 }, 60))).toBe('60000/1001');
    expect(formatFrameRate(capFrameRate({ num: 50, den: 1 }, 30))).toBe('25/1');
    expect(frameRateValue(capFrameRate({ num: 60, den: 1 }, 1))).toBeLessThanOrEqual(1);
  });
});
