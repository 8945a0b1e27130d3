// 阳光采购账本: the officials' keys held in this browser (IndexedDB). Each record is
// {keyId, actor, publicKey, key}; `key` is a non-extractable CryptoKey, which IndexedDB
// keeps as it is: scripts of this origin may sign with it, none can read it out.

const DATABASE = "sunshine-workbench";
const STORE = "keys";

const open = () => new Promise((resolve, reject) => {
  const request = indexedDB.open(DATABASE, 1);
  request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "keyId" });
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

const inStore = async (mode, work) => {
  const db = await open();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction(STORE, mode);
    const request = work(transaction.objectStore(STORE));
    transaction.oncomplete = () => { db.close(); resolve(request.result); };
    transaction.onerror = () => { db.close(); reject(transaction.error); };
  });
};

/** Every key held here, oldest first by actor. */
export const heldKeys = async () => (await inStore("readonly", (s) => s.getAll()))
  .sort((a, b) => a.actor.localeCompare(b.actor));
export const heldKey = (keyId) => inStore("readonly", (s) => s.get(keyId));
export const holdKey = (record) => inStore("readwrite", (s) => s.put(record));
export const dropKey = (keyId) => inStore("readwrite", (s) => s.delete(keyId));
