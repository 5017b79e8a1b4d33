// WebKitGTK looks a font up (through fontconfig) the first time it lays text out in a size and weight:
// 10-60 ms each on this project's loaded two-core machine, longer for every family of the stack that is
// not installed. A view that showed several new sizes and weights at once blocked the window for
// 150-225 ms when it first opened (Customers on the 100,000-contact demo, bench/scale.sh). So after the
// window starts, every size and weight the stylesheets use is laid out once, hidden, a few per task,
// and a view's first opening finds them resolved.

/** The declared font sizes and weights of some style rules. */
export interface FontDeclaration {
  fontSize: string;
  fontWeight: string;
}

/** Each (size, weight) pair the rules can combine, sizes in px only (others depend on their parent),
 * with the body's weights (normal, bold) included. */
export function fontCombinations(rules: FontDeclaration[]): [string, string][] {
  const sizes = new Set<string>();
  const weights = new Set<string>(["400", "700"]);
  for (const rule of rules) {
    if (/^\d+(\.\d+)?px$/.test(rule.fontSize)) sizes.add(rule.fontSize);
    const weight =
      rule.fontWeight === "bold" ? "700" : rule.fontWeight === "normal" ? "400" : rule.fontWeight;
    if (/^\d{3}$/.test(weight)) weights.add(weight);
  }
  return [...sizes].flatMap((size) => [...weights].map((weight): [string, string] => [size, weight]));
}

function declarations(): FontDeclaration[] {
  const found: FontDeclaration[] = [];
  const visit = (rules: CSSRuleList): void => {
    for (const rule of Array.from(rules)) {
      if (rule instanceof CSSStyleRule) found.push(rule.style);
      else if (rule instanceof CSSGroupingRule) visit(rule.cssRules);
    }
  };
  for (const sheet of Array.from(document.styleSheets)) {
    try {
      visit(sheet.cssRules);
    } catch {
      // A stylesheet of another origin cannot be read: its fonts resolve when first used.
    }
  }
  return found;
}

/** Lays out a line of text in each combination, `perTask` at a time, one task every `gapMs`. */
export function warmFonts(perTask = 2, gapMs = 30): void {
  const combinations = fontCombinations(declarations());
  const host = document.createElement("div");
  host.setAttribute("aria-hidden", "true");
  host.style.cssText = "position:absolute;left:0;top:0;visibility:hidden;pointer-events:none;";
  document.body.appendChild(host);
  const step = (): void => {
    for (const [size, weight] of combinations.splice(0, perTask)) {
      const line = document.createElement("span");
      line.style.fontSize = size;
      line.style.fontWeight = weight;
      line.textContent = "Aa 0123456789 ▲▼▸▾ —";
      host.appendChild(line);
      void line.getBoundingClientRect();
    }
    if (combinations.length > 0) setTimeout(step, gapMs);
    else host.remove();
  };
  setTimeout(step, gapMs);
}
