/**
 * The product's notion of "now", passed to whatever decides by the calendar (a first run's start of month,
 * "up to yesterday", a market snapshot's time, quality windows), so tests and the sandbox can pin it.
 * Durations and deadlines keep reading the real time: they measure, they do not decide by the date.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
