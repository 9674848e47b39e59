// A code editor (CodeMirror, Python) in a dialog, for scripts and conditions.
import { EditorView, basicSetup } from 'codemirror';
import { python } from '@codemirror/lang-python';
import { dialog } from './dom.js';

export function openCodeEditor({ title, value, onSave, texts }) {
  const host = document.createElement('div');
  host.className = 'code-editor';
  const view = new EditorView({ doc: value || '', extensions: [basicSetup, python()], parent: host });
  dialog({
    title, body: host, wide: true, texts,
    actions: [{ label: texts('Apply'), primary: true, run: () => onSave(view.state.doc.toString()) }],
    onClose: () => view.destroy()
  });
  view.focus();
  return view;
}
