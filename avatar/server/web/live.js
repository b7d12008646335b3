// Live mode: microphone -> 16 kHz 16-bit PCM over WebSocket /stream -> JPEG frames on a canvas.
"use strict";

const HEADER = 20; // "AVF1", index u32, pts f64, dropped u32
const PARAMS = 69; // 64 expression channels, head (3), gaze (2), float32
const JAW = 17; // jawOpen
let live = null; // {socket, context, stream, frames, maxJaw}

function liveState(text) { document.getElementById("live-state").textContent = text; }

async function startLive() {
  const key = document.getElementById("api-key").value.trim();
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
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const url = scheme + "://" + location.host + "/stream" + (key ? "?token=" + encodeURIComponent(key) : "");
  const socket = new WebSocket(url);
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
    const params = new Float32Array(event.data, HEADER, PARAMS);
    session.frames += 1;
    session.maxJaw = Math.max(session.maxJaw, params[JAW]);
    canvas.dataset.frames = String(session.frames);
    canvas.dataset.maxJaw = session.maxJaw.toFixed(3);
    const jpeg = event.data.slice(HEADER + PARAMS * 4);
    if (jpeg.byteLength) draw.drawImage(await createImageBitmap(new Blob([jpeg], { type: "image/jpeg" })), 0, 0, 256, 256);
  };
  socket.onclose = () => { if (live === session) stopLive(false); };
  document.getElementById("live").textContent = "Stop";
}

function stopLive(sendEnd = true) {
  if (!live) return;
  if (sendEnd && live.socket.readyState === WebSocket.OPEN) live.socket.send(JSON.stringify({ type: "end" }));
  live.mic.getTracks().forEach((track) => track.stop());
  live.context.close();
  live = null;
  document.getElementById("live").textContent = "Go live";
}

document.getElementById("live").addEventListener("click", () => {
  if (live) { stopLive(); return; }
  startLive().catch((e) => liveState("Live failed: " + e.message));
});
