// Reads QR labels with the camera: the browser's own BarcodeDetector where it has one, the
// vendored zxing-wasm polyfill otherwise (its wasm served from static/, never from a CDN).
(function () {
  "use strict";
  const root = document.getElementById("scanner");
  if (!root) return;
  const status = document.getElementById("scan-status");
  const video = document.getElementById("camera");
  const say = (key) => { status.textContent = root.dataset[key]; };

  function loadDecoder() {
    // barcode-detector's IIFE build installs its class as window.BarcodeDetector only where
    // the browser has none, and does not export it. Its wasm is fetched from a CDN unless
    // told otherwise, so point it at our copy before anything can use it. Where the class is
    // the polyfill's (not the browser's native code), fetch and compile the decoder now,
    // while the camera starts: on a slow network it is most of the page's bytes.
    const api = window.BarcodeDetectionAPI;
    if (!api) return;
    const Detector = window.BarcodeDetector;
    const polyfilled =
      Boolean(Detector) && !/\[native code\]/.test(Function.prototype.toString.call(Detector));
    const loading = api.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? root.dataset.wasm : prefix + path),
      },
      fireImmediately: polyfilled,
    });
    // A failed load is detect()'s to report (it throws, and the typed code still works).
    if (loading) loading.catch(() => {});
  }

  async function detectorClass() {
    const Detector = window.BarcodeDetector;
    if (!Detector) return null;
    try {
      if ((await Detector.getSupportedFormats()).includes("qr_code")) return Detector;
    } catch (err) {
      // A detector that cannot list its formats cannot be trusted with ours.
    }
    return null;
  }

  function target(text) {
    // A circularity label holds <BASE_URL>/b/<code>; go to this site's page for the code,
    // whichever host printed it, so labels keep working when the address changes.
    const match = /\/b\/([0-9A-Za-z]{26})\/?$/.exec(text.trim());
    return match ? root.dataset.go + "?code=" + match[1] : null;
  }

  async function start() {
    loadDecoder();
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: "environment" } }, audio: false,
      });
    } catch (err) {
      say("msgDenied");
      return;
    }
    video.srcObject = stream;
    await video.play();
    say("msgLooking");
    const Detector = await detectorClass();
    if (!Detector) {
      stream.getTracks().forEach((t) => t.stop());
      say("msgDenied");
      return;
    }
    const detector = new Detector({ formats: ["qr_code"] });
    let done = false;
    async function tick() {
      if (done) return;
      try {
        const codes = await detector.detect(video);
        for (const code of codes) {
          const url = target(code.rawValue);
          if (url) {
            done = true;
            say("msgFound");
            stream.getTracks().forEach((t) => t.stop());
            window.location.assign(url);
            return;
          }
          say("msgForeign");
        }
      } catch (err) {
        // A frame that is not ready yet; try the next one.
      }
      setTimeout(tick, 150);
    }
    tick();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
