/** Where in the pattern's JSON text a problem was found, as Jackson (the service's parser) counts. */
export interface PatternTextLocation {
  /** The pattern text as given. */
  source: string;
  /** 1-based. */
  line: number;
  /** 1-based, the column just after the token being read when the problem was found. */
  column: number;
}

const MESSAGE_PREFIX = 'Event pattern is not valid. Reason: ';

/**
 * Thrown for a pattern EventBridge would refuse with `InvalidEventPatternException`. The message is
 * worded as the service words it (`Event pattern is not valid. Reason: ...`); when the pattern was
 * given as JSON text, the service's ` at [Source: ...; line: L, column: C]` suffix follows on a new
 * line, so the error reads the same as the one `aws events put-rule` prints.
 */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  /** The part after `Reason: `, without the location. */
  readonly reason: string;
  readonly location: PatternTextLocation | undefined;

  constructor(reason: string, location?: PatternTextLocation) {
    super(MESSAGE_PREFIX + reason + (location ? formatLocation(location) : ''));
    this.reason = reason;
    this.location = location;
  }
}

/** Jackson quotes at most this much of the source in a location. */
const MAX_QUOTED_SOURCE = 500;

function formatLocation({ source, line, column }: PatternTextLocation): string {
  const quoted =
    source.length > MAX_QUOTED_SOURCE
      ? `"${source.slice(0, MAX_QUOTED_SOURCE)}"[truncated ${source.length - MAX_QUOTED_SOURCE} chars]`
      : `"${source}"`;
  return `\n at [Source: (String)${quoted}; line: ${line}, column: ${column}]`;
}
