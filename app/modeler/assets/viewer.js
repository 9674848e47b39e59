// A read-only diagram of one version (the process library), with the platform's extensions known to the reader.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import spiffModdle from './moddle/spiffworkflow.json';

for (const node of document.querySelectorAll('[data-version-diagram]')) {
  const viewer = new NavigatedViewer({ container: node, moddleExtensions: { spiffworkflow: spiffModdle } });
  fetch(node.dataset.src, { credentials: 'same-origin' })
    .then((r) => { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then((xml) => viewer.importXML(xml))
    .then(() => { viewer.get('canvas').zoom('fit-viewport'); node.dataset.ready = 'true'; })
    .catch(() => { node.dataset.ready = 'error'; node.classList.add('diagram-error'); });
}
