// A WebRTC peer in the page: the fake microphone out, the avatar's tracks in; reports what it saw.
const done = arguments[arguments.length - 1];
(async () => {
  const mic = await navigator.mediaDevices.getUserMedia({ audio: true });
  const pc = new RTCPeerConnection();
  mic.getTracks().forEach((t) => pc.addTrack(t, mic));
  pc.addTransceiver("video", { direction: "recvonly" });
  const got = {};
  pc.ontrack = (e) => { got[e.track.kind] = new MediaStream([e.track]); };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === "complete") r(); else pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === "complete") r(); }; });
  const reply = await fetch("../webrtc/offer", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ sdp: pc.localDescription.sdp, type: "offer" }) });
  if (!reply.ok) { done({ status: reply.status, body: await reply.text() }); return; }
  await pc.setRemoteDescription(await reply.json());
  for (let i = 0; i < 100 && !got.video; i++) await new Promise((r) => setTimeout(r, 100));
  const v = document.createElement("video"); v.muted = true; v.autoplay = true; v.srcObject = got.video; document.body.appendChild(v);
  await new Promise((r) => setTimeout(r, 1500));
  const canvas = document.createElement("canvas"); canvas.width = canvas.height = 256;
  const g = canvas.getContext("2d");
  let previous = null, change = 0;
  for (let i = 0; i < 30; i++) {  // 3 s of the picture: the mouth (lower middle) must move
    g.drawImage(v, 0, 0, 256, 256);
    const mouth = g.getImageData(96, 150, 64, 50).data;
    if (previous) { let d = 0; for (let k = 0; k < mouth.length; k += 4) d += Math.abs(mouth[k] - previous[k]); change = Math.max(change, d / (mouth.length / 4)); }
    previous = mouth;
    await new Promise((r) => setTimeout(r, 100));
  }
  done({ w: v.videoWidth, t: v.currentTime, state: pc.connectionState, audio: !!got.audio, change });
})().catch((e) => done({ error: String(e) }));
