/** WCAG 2 contrast: relative luminance of sRGB colours and the ratio between two of them (1 to 21). */
export type Rgb = [number, number, number]

/** `#rrggbb`, or `rgb(r, g, b)` / `rgba(r, g, b, 1)` as a browser's computed style gives it. */
export function parseCssColour(text: string): Rgb {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(text.trim())
  if (hex) return [1, 2, 3].map((index) => Number.parseInt(hex[index] as string, 16)) as Rgb
  const rgb = /^rgba?\(\s*(\d+),\s*(\d+),\s*(\d+)(?:,\s*([\d.]+))?\s*\)$/.exec(text.trim())
  if (!rgb || (rgb[4] !== undefined && Number(rgb[4]) !== 1)) throw new Error(`not an opaque colour: ${text}`)
  return [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])]
}

function luminance([red, green, blue]: Rgb): number {
  const linear = (channel: number): number => {
    const value = channel / 255
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4
  }
  return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
}

export function contrastRatio(foreground: Rgb, background: Rgb): number {
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a) as [
    number,
    number,
  ]
  return (light + 0.05) / (dark + 0.05)
}
