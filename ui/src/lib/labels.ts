// Display names for what the engine identifies by code (pure; unit-tested in labels.test.ts).

/** "de" -> "German (de)": the language's English name, with its code as secondary text. */
export function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames(["en"], { type: "language" }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}
