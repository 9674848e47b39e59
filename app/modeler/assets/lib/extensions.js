// Reading the platform's BPMN extensions (namespace spiffworkflow, SpiffArena's) from moddle business objects.

export function extension(bo, type) {
  const values = (bo && bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((value) => value.$instanceOf ? value.$instanceOf(type) : value.$type === type);
}

export function spiffProperties(bo) {
  const container = extension(bo, 'spiffworkflow:Properties');
  return (container && container.properties) || [];
}

export function spiffProperty(bo, name) {
  const found = spiffProperties(bo).find((property) => property.name === name);
  return found ? found.value : undefined;
}
