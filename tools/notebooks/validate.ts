/** Validation of notebook JSON by Debian's python3-nbformat, the reference implementation of the schema (tests and regeneration use it). */
import { execFileSync } from 'node:child_process';

const VALIDATE = `
import sys, json, nbformat
nb = nbformat.reads(sys.stdin.read(), as_version=nbformat.NO_CONVERT)
try:
    nbformat.validate(nb)
    print(json.dumps({"valid": True, "version": [nb.nbformat, nb.nbformat_minor]}))
except nbformat.ValidationError as error:
    print(json.dumps({"valid": False, "message": str(error)[:2000]}))
`;

/** What nbformat.validate says of a notebook's JSON text. */
export function validateWithNbformat(json: string): { valid: boolean; version?: [number, number]; message?: string } {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', VALIDATE], { input: json, encoding: 'utf8' })) as {
    valid: boolean;
    version?: [number, number];
    message?: string;
  };
}

const CHECK_PAGE = `
import sys, json, re, html5lib
text = sys.stdin.read()
parser = html5lib.HTMLParser(namespaceHTMLElements=False)
document = parser.parse(text)
errors = [f"line {line}:{col} {code} {data}" for (line, col), code, data in parser.errors]
loads = []
url_attributes = {"src", "srcset", "poster", "data", "background", "href", "{http://www.w3.org/1999/xlink}href", "xlink:href"}
def external(url):
    url = url.strip()
    return url != "" and not url.startswith("data:") and not url.startswith("#")
for element in document.iter():
    tag = element.tag if isinstance(element.tag, str) else ""
    local = tag.split("}")[-1]
    for name, value in element.attrib.items():
        if name in url_attributes and not (local == "a" and name == "href") and external(value):
            loads.append(f"<{local} {name}={value}>")
    if local == "style" and element.text:
        for url in re.findall(r"url\\(\\s*['\\"]?([^'\\")]+)", element.text) + re.findall(r"@import\\s+['\\"]([^'\\"]+)", element.text):
            if external(url): loads.append(f"css {url}")
    style = element.attrib.get("style", "")
    for url in re.findall(r"url\\(\\s*['\\"]?([^'\\")]+)", style):
        if external(url): loads.append(f"inline style {url}")
print(json.dumps({"errors": errors, "externalLoads": loads}))
`;

/** What html5lib (the HTML5 parsing algorithm, as browsers run it) finds in a page: parse errors, and anything the page would fetch. */
export function checkHtmlPage(html: string): { errors: string[]; externalLoads: string[] } {
  return JSON.parse(execFileSync('/usr/bin/python3', ['-c', CHECK_PAGE], { input: html, encoding: 'utf8' })) as {
    errors: string[];
    externalLoads: string[];
  };
}
