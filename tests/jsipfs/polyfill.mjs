// Loaded into js-ipfs with NODE_OPTIONS=--import=<this file> (tests/integration/jsipfs.rs does it).
// A dependency of ipfs@0.66.1 (it-queue, through mortice) calls Promise.withResolvers, which
// Node only has from 22 on; CI runs Node 20.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
