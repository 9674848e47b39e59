// bpmn-js's own words (palette, context pad, the "change element" menu) in the user's language: diagram-js asks
// its `translate` service for every label; this one looks the English template up in the table the server
// translated (app/modeler/texts.py, BPMN_JS) and fills in its {placeholders}.
export function translateFrom(texts) {
  return (template, replacements = {}) =>
    ((texts && texts[template]) || template).replace(/{([^}]+)}/g, (_, key) => replacements[key] ?? `{${key}}`);
}

export function translateModule(texts) {
  return { translate: ['value', translateFrom(texts)] };
}
