// The avatar web page: speech (file or microphone) + a face -> POST /generate -> the video.
"use strict";

const $ = (id) => document.getElementById(id);
let recorded = null; // Blob from the microphone, used when no file is chosen
let recorder = null;

function headers() {
  const key = $("api-key").value.trim();
  localStorage.setItem("avatar-api-key", key);
  return key ? { Authorization: "Bearer " + key } : {};
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function reason(response) {
  try {
    const body = await response.json();
    return typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
  } catch (e) {
    return response.statusText;
  }
}

async function loadAvatars(select) {
  const response = await fetch("../avatars", { headers: headers() });
  if (!response.ok) { status("Could not list the avatars: " + (await reason(response)), true); return; }
  const avatars = await response.json();
  $("avatar").innerHTML = "";
  for (const a of avatars) {
    const option = document.createElement("option");
    option.value = a.id;
    option.textContent = a.builtin ? a.id + " (built-in)" : a.id;
    $("avatar").appendChild(option);
  }
  if (select) $("avatar").value = select;
}

async function toggleRecording() {
  if (recorder && recorder.state === "recording") { recorder.stop(); return; }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (e) {
    status("No microphone: " + e.message, true);
    return;
  }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.onstop = () => {
    stream.getTracks().forEach((track) => track.stop());
    recorded = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
    $("audio-preview").src = URL.createObjectURL(recorded);
    $("audio-preview").hidden = false;
    $("record").textContent = "Record again";
    $("record-state").textContent = "recorded " + (recorded.size / 1024).toFixed(0) + " kB";
  };
  recorder.start();
  $("record").textContent = "Stop";
  $("record-state").textContent = "recording...";
}

async function enrollPhoto() {
  const file = $("photo").files[0];
  if (!file) { status("Choose a photo first", true); return; }
  const form = new FormData();
  form.append("image", file);
  status("Adding the photo...");
  const response = await fetch("../avatars", { method: "POST", body: form, headers: headers() });
  if (!response.ok) { status("Photo refused: " + (await reason(response)), true); return; }
  const avatar = await response.json();
  await loadAvatars(avatar.id);
  status("Added avatar " + avatar.id);
}

async function generateVideo() {
  const file = $("audio-file").files[0];
  const speech = file || recorded;
  if (!speech) { status("Choose an audio file or record some speech first", true); return; }
  const form = new FormData();
  form.append("audio", speech, file ? file.name : "microphone.webm");
  form.append("format", "mp4");
  form.append("size", $("size").value);
  form.append("avatar", $("avatar").value);
  form.append("emotion", $("emotion").value);
  form.append("head_motion", $("head-motion").value);
  form.append("blink", $("blink").checked ? "true" : "false");
  form.append("gaze", $("gaze").value);
  if ($("lipsync").value) form.append("lipsync", $("lipsync").value);
  if ($("text").value.trim()) form.append("text", $("text").value.trim());
  $("generate").disabled = true;
  status("Generating...");
  const started = performance.now();
  try {
    const response = await fetch("../generate", { method: "POST", body: form, headers: headers() });
    if (!response.ok) {
      const retry = response.headers.get("Retry-After");
      status("Failed (" + response.status + "): " + (await reason(response)) + (retry ? " - retry in " + retry + " s" : ""), true);
      return;
    }
    const url = URL.createObjectURL(await response.blob());
    $("result").src = url;
    $("result").hidden = false;
    $("download").href = url;
    $("download").hidden = false;
    status("Done in " + ((performance.now() - started) / 1000).toFixed(1) + " s");
    $("result").play().catch(() => {});
  } catch (e) {
    status("Network error: " + e.message, true);
  } finally {
    $("generate").disabled = false;
  }
}

$("api-key").value = localStorage.getItem("avatar-api-key") || "";
$("record").addEventListener("click", toggleRecording);
$("enroll").addEventListener("click", enrollPhoto);
$("generate").addEventListener("click", generateVideo);
loadAvatars();
