#!/bin/bash
# `atelier serve` as a user runs it: started on a free port with the tiny Qwen2 model and the tiny
# BERT, asked with curl for the model list, a chat answer, embeddings, bad JSON and a picture the
# model cannot see, then stopped.
# usage: serve_command_test.sh ATELIER MODEL EMBEDDING_MODEL
set -u
atelier="$1"
model="$2"
embedding_model="$3"
out="$(mktemp)"
"$atelier" --validation serve --port 0 --model "$model" --embedding-model "$embedding_model" >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
fail() { echo "serve: $*"; cat "$out"; exit 1; }
url=""
for _ in $(seq 200); do
  url="$(sed -n 's/^Serving \(http[^ ]*\)$/\1/p' "$out")"
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || fail "it stopped"
  sleep 0.1
done
[ -n "$url" ] || fail "it did not say where it serves"
echo "serve: $url"
models="$(curl -sS "$url/models")" || fail "GET /models failed"
[[ "$models" == *'"id":"tiny_qwen2"'* ]] || fail "the model list lacks tiny_qwen2: $models"
answer="$(curl -sS "$url/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model": "tiny_qwen2", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4, "temperature": 0}')" ||
  fail "POST /chat/completions failed"
[[ "$answer" == *'"object":"chat.completion"'* ]] || fail "no chat.completion: $answer"
embeddings="$(curl -sS "$url/embeddings" -H 'Content-Type: application/json' \
  -d '{"model": "tiny_bert", "input": ["Paris is the capital of France.", "hello world"]}')" || fail "POST /embeddings failed"
[[ "$embeddings" == *'"object":"embedding"'*'"index":1'* ]] || fail "no two embeddings: $embeddings"
status="$(curl -s -o /dev/null -w '%{http_code}' "$url/chat/completions" -H 'Content-Type: application/json' -d '{"model": ')"
[ "$status" = 400 ] || fail "bad JSON answered $status"
# A picture (a 2x2 PNG) for a model with no vision projector next to it: a 400 that says so.
png="iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGM8ISfHwMDAxMDAwMDAAAANBAEIfXHKZgAAAABJRU5ErkJggg=="
refused="$(curl -sS -w ' %{http_code}' "$url/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model": "tiny_qwen2", "messages": [{"role": "user", "content": [{"type": "text", "text": "What is it?"},
       {"type": "image_url", "image_url": {"url": "data:image/png;base64,'"$png"'"}}]}], "max_tokens": 4}')" ||
  fail "POST /chat/completions with a picture failed"
[[ "$refused" == *'cannot see pictures: no vision projector'*'"param":"messages[0].content[1].image_url"'*' 400' ]] ||
  fail "a picture for a blind model: $refused"
grep -q "POST /v1/chat/completions 200" "$out" || fail "the request was not logged"
grep -q "validation\]" "$out" && fail "validation messages"
echo "serve: all checks passed"
