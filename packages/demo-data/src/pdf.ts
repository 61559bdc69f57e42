/**
 * A minimal but valid PDF 1.4 (one A4 page, Helvetica, WinAnsi text): catalog, pages, page, font, content
 * stream, a cross-reference table with exact byte offsets and a trailer. Enough for every PDF reader.
 */
export function makePdf(title: string, lines: readonly string[]): Buffer {
  const text = [title, '', ...lines]
    .map((line, index) => (index === 0 ? `(${pdfString(line)}) Tj` : `T* (${pdfString(line)}) Tj`))
    .join('\n')
  const stream = `BT\n/F1 12 Tf\n16 TL\n72 770 Td\n${text}\nET\n`
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
    `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}endstream`,
  ]
  let body = '%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n'
  const offsets: number[] = []
  objects.forEach((object, index) => {
    offsets.push(Buffer.byteLength(body, 'latin1'))
    body += `${index + 1} 0 obj\n${object}\nendobj\n`
  })
  const xrefAt = Buffer.byteLength(body, 'latin1')
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

/** A PDF literal string: parentheses and backslashes escaped, characters outside Latin-1 replaced by `?`. */
function pdfString(text: string): string {
  return [...text]
    .map((c) => {
      if (c === '(' || c === ')' || c === '\\') return `\\${c}`
      const code = c.codePointAt(0) ?? 63
      if (code < 32 || code > 255) return '?'
      if (code > 126) return `\\${code.toString(8).padStart(3, '0')}`
      return c
    })
    .join('')
}
