// Small DOM helpers shared by the modeler's pages.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      node.className = value;
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(key, '');
    } else {
      node.setAttribute(key, value);
    }
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

// A modal dialog; each action may return false to keep it open. Returns { close, node }.
export function dialog({ title, body, actions = [], texts, wide = false, onClose }) {
  const node = el('dialog', { class: wide ? 'modeler-dialog wide' : 'modeler-dialog' });
  const close = () => {
    node.close();
    node.remove();
    if (onClose) {
      onClose();
    }
  };
  const buttons = actions.map((action) => el('button', {
    type: 'button', class: action.primary ? 'primary' : '', dataset: { action: action.label },
    onClick: () => { if (action.run() !== false) { close(); } }
  }, action.label));
  node.append(
    el('h2', {}, title),
    el('div', { class: 'modeler-dialog-body' }, body),
    el('div', { class: 'modeler-dialog-actions' }, ...buttons,
      el('button', { type: 'button', onClick: close, dataset: { action: 'close' } }, texts('Close')))
  );
  node.addEventListener('cancel', (event) => { event.preventDefault(); close(); });
  document.body.append(node);
  node.showModal();
  return { close, node };
}

export async function postJSON(url, payload, csrf) {
  const response = await fetch(url, {
    method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, 'Accept': 'application/json' },
    body: JSON.stringify(payload)
  });
  let body = {};
  try {
    body = await response.json();
  } catch (err) {
    body = { message: response.statusText };
  }
  return { ok: response.ok, status: response.status, body };
}

export function readConfig(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : {};
}

export function translator(texts) {
  return (text, params = {}) => ((texts && texts[text]) || text).replace(/%\((\w+)\)s/g, (_, k) => String(params[k] ?? ''));
}
