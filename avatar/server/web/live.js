// Live mode: microphone -> 16 kHz 16-bit PCM over WebSocket /stream -> JPEG frames on a canvas;
// or, with "drive with my camera", camera frames as JPEGs -> the avatar making the same face.
"use strict";

const HEADER = 20; // "AVF1", index u32, pts f64, dropped u32
const PARAMS = 69; // 64 expression channels, head (3), gaze (2), float32
const JAW = 17; // jawOpen
const CAMERA_W = 320, CAMERA_H = 240, CAMERA_FPS = 30, CAMERA_QUALITY = 0.7;
const IN_FLIGHT = 2; // camera frames sent and not yet answered, at most: a slow server is not flooded
let live = null; // {socket, context, mic, frames, maxJaw, ...}

function liveState(text) { document.getElementById("live-state").textContent = text; }

function streamUrl(key) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return scheme + "://" + location.host + "/stream" + (key ? "?token=" + encodeURIComponent(key) : "");
}

// A frame message: its parameters into the canvas's data-* (read by tests), its JPEG onto the canvas.
async function showFrame(session, canvas, draw, data) {
  const params = new Float32Array(data, HEADER, PARAMS);
  session.frames += 1;
  session.maxJaw = Math.max(session.maxJaw, params[JAW]);
  canvas.dataset.frames = String(session.frames);
  canvas.dataset.maxJaw = session.maxJaw.toFixed(3);
  const jpeg = data.slice(HEADER + PARAMS * 4);
  if (jpeg.byteLength) draw.drawImage(await createImageBitmap(new Blob([jpeg], { type: "image/jpeg" })), 0, 0, 256, 256);
}

async function startLive() {
  const key = document.getElementById("api-key").value.trim();
  if (document.getElementById("live-camera").checked) { await startCameraLive(key); return; }
  let mic;
  try {
    mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    liveState("No microphone: " + e.message);
    return;
  }
  const context = new AudioContext({ sampleRate: 16000 });
  await context.audioWorklet.addModule("pcm-worklet.js");
  const tap = new AudioWorkletNode(context, "pcm-tap");
  const mute = context.createGain();
  mute.gain.value = 0;
  context.createMediaStreamSource(mic).connect(tap);
  tap.connect(mute).connect(context.destination);
  // The socket is opened only now, after every await: its handlers must be set before it opens.
  const socket = new WebSocket(streamUrl(key));
  socket.binaryType = "arraybuffer";
  const canvas = document.getElementById("live-view");
  const draw = canvas.getContext("2d");
  const session = { socket, context, mic, frames: 0, maxJaw: 0, started: false };
  live = session;
  canvas.hidden = false;

  socket.onopen = () => {
    socket.send(JSON.stringify({
      type: "start", avatar: document.getElementById("avatar").value, format: "jpeg",
      options: { emotion: document.getElementById("emotion").value },
    }));
    session.started = true; // audio may follow only now
  };
  tap.port.onmessage = (event) => {
    if (!session.started || socket.readyState !== WebSocket.OPEN) return;
    const samples = event.data;
    const pcm = new Int16Array(samples.length);
    for (let i = 0; i < samples.length; i++) pcm[i] = Math.max(-32768, Math.min(32767, samples[i] * 32768));
    socket.send(pcm.buffer);
  };
  socket.onmessage = async (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.type === "ready") liveState("live: about " + message.latency_ms + " ms behind you");
      if (message.type === "error") liveState("refused: " + message.detail);
      if (message.type === "done") liveState("ended after " + message.frames + " frames");
      return;
    }
    await showFrame(session, canvas, draw, event.data);
  };
  socket.onclose = () => { if (live === session) stopLive(false); };
  document.getElementById("live").textContent = "Stop";
}

// Camera mode: the camera's picture, centre-cropped to 4:3 at 320x240, as JPEGs at up to 30 fps,
// each sent only while fewer than IN_FLIGHT are unanswered (a frame answers its camera frame's
// number and every one before it). The server takes the person's neutral face from the first
// second of frames with a face: they are asked to hold still meanwhile. No sound is sent.
async function startCameraLive(key) {
  let camera;
  try {
    camera = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  } catch (e) {
    liveState("No camera: " + e.message);
    return;
  }
  const preview = document.getElementById("camera-view");
  preview.srcObject = camera;
  preview.hidden = false;
  await preview.play();
  const grab = document.createElement("canvas");
  grab.width = CAMERA_W;
  grab.height = CAMERA_H;
  const grabDraw = grab.getContext("2d");
  const socket = new WebSocket(streamUrl(key));
  socket.binaryType = "arraybuffer";
  const canvas = document.getElementById("live-view");
  const draw = canvas.getContext("2d");
  const session = { socket, context: null, mic: camera, frames: 0, maxJaw: 0, sent: 0, answered: -1,
    grabbing: false, timer: null, calibrated: false };
  live = session;
  canvas.hidden = false;

  async function sendFrame() {
    if (session.grabbing || socket.readyState !== WebSocket.OPEN) return;
    if (session.sent - 1 - session.answered >= IN_FLIGHT || !preview.videoWidth) return;
    session.grabbing = true;
    const w = preview.videoWidth, h = preview.videoHeight;
    const cw = Math.min(w, (h * CAMERA_W) / CAMERA_H), ch = (cw * CAMERA_H) / CAMERA_W;
    grabDraw.drawImage(preview, (w - cw) / 2, (h - ch) / 2, cw, ch, 0, 0, CAMERA_W, CAMERA_H);
    const blob = await new Promise((resolve) => grab.toBlob(resolve, "image/jpeg", CAMERA_QUALITY));
    const data = blob ? await blob.arrayBuffer() : null;
    session.grabbing = false;
    if (!data || socket.readyState !== WebSocket.OPEN || live !== session) return;
    socket.send(data);
    session.sent += 1;
    canvas.dataset.sent = String(session.sent);
  }
  socket.onopen = () => {
    socket.send(JSON.stringify({
      type: "start", drive: "camera", avatar: document.getElementById("avatar").value, format: "jpeg",
      options: { emotion: document.getElementById("emotion").value },
    }));
  };
  socket.onmessage = async (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.type === "ready") {
        liveState("hold still, looking at the camera: learning your neutral face...");
        session.timer = setInterval(sendFrame, 1000 / CAMERA_FPS);
      }
      if (message.type === "calibrated") {
        session.calibrated = true;
        canvas.dataset.calibrated = "1";
        liveState("live: the avatar follows your face");
      }
      if (message.type === "hold") liveState(message.detail);
      if (message.type === "face" && session.calibrated) {
        liveState(message.found ? "live: the avatar follows your face" : "no face in view: the avatar holds its pose");
      }
      if (message.type === "error") liveState("refused: " + message.detail);
      if (message.type === "done") liveState("ended after " + message.frames + " frames");
      return;
    }
    session.answered = Math.max(session.answered, new DataView(event.data).getUint32(4, true));
    await showFrame(session, canvas, draw, event.data);
  };
  socket.onclose = () => { if (live === session) stopLive(false); };
  document.getElementById("live").textContent = "Stop";
}

function stopLive(sendEnd = true) {
  if (!live) return;
  if (sendEnd && live.socket.readyState === WebSocket.OPEN) live.socket.send(JSON.stringify({ type: "end" }));
  if (live.timer) clearInterval(live.timer);
  live.mic.getTracks().forEach((track) => track.stop());
  if (live.context) live.context.close();
  document.getElementById("camera-view").hidden = true;
  live = null;
  document.getElementById("live").textContent = "Go live";
}

document.getElementById("live").addEventListener("click", () => {
  if (live) { stopLive(); return; }
  startLive().catch((e) => liveState("Live failed: " + e.message));
});
