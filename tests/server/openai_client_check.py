#!/usr/bin/env python3
"""Checks `atelier serve` with OpenAI's official Python package (run by hand; CI stays hermetic).

    python3 -m venv /tmp/oai && /tmp/oai/bin/pip install openai
    build/bin/atelier serve --port 18080 &
    /tmp/oai/bin/python tests/server/openai_client_check.py http://127.0.0.1:18080/v1 [KEY] [PICTURE.png]

Lists the models, asks one chat question streamed and not, continues a prompt, paints a picture
when an image model is served, embeds texts when an embedding model is served (`--embedding-model`:
the package asks for base64 by default; floats asked for explicitly must match), and checks that an
unknown model raises NotFoundError. With a picture (issue 22) it asks about it in an image_url data
URL, whole and streamed, when the chat model has a vision projector (mmproj*.gguf next to it), and
otherwise checks that the picture is refused with BadRequestError.
"""
import base64
import sys

import openai

base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/v1"
key = sys.argv[2] if len(sys.argv) > 2 else "none"
picture_file = sys.argv[3] if len(sys.argv) > 3 else None
client = openai.OpenAI(base_url=base, api_key=key)

models = client.models.list().data
chat = next(m.id for m in models if getattr(m, "kind", "chat") == "chat")
image = next((m.id for m in models if getattr(m, "kind", "") == "image"), None)
embedding = next((m.id for m in models if getattr(m, "kind", "") == "embedding"), None)
print("models:", [m.id for m in models])

question = [{"role": "user", "content": "What is the capital of France?"}]
answer = client.chat.completions.create(model=chat, messages=question, temperature=0, max_tokens=32)
whole = answer.choices[0].message.content
print("chat:", repr(whole), answer.usage)

pieces = []
for chunk in client.chat.completions.create(model=chat, messages=question, temperature=0, max_tokens=32, stream=True):
    if chunk.choices and chunk.choices[0].delta.content:
        pieces.append(chunk.choices[0].delta.content)
assert "".join(pieces) == whole, ("streamed", pieces, "whole", whole)
print("streamed in", len(pieces), "pieces: same text")

completion = client.completions.create(model=chat, prompt="The capital of France is", max_tokens=5, temperature=0)
print("completion:", repr(completion.choices[0].text), completion.choices[0].finish_reason)

if picture_file:
    with open(picture_file, "rb") as f:
        url = "data:image/png;base64," + base64.b64encode(f.read()).decode()
    seeing = [{"role": "user", "content": [{"type": "text", "text": "What is in the picture?"},
                                           {"type": "image_url", "image_url": {"url": url}}]}]
    try:
        answer = client.chat.completions.create(model=chat, messages=seeing, temperature=0, max_tokens=8)
        pieces = []
        for chunk in client.chat.completions.create(model=chat, messages=seeing, temperature=0, max_tokens=8, stream=True):
            if chunk.choices and chunk.choices[0].delta.content:
                pieces.append(chunk.choices[0].delta.content)
        assert "".join(pieces) == answer.choices[0].message.content, (pieces, answer.choices[0].message.content)
        print("picture:", repr(answer.choices[0].message.content), answer.usage, "(streamed: same text)")
    except openai.BadRequestError as error:
        print("picture refused:", error.status_code, error.body.get("message") if isinstance(error.body, dict) else error.body)

if image:
    picture = client.images.generate(model=image, prompt="a large red circle in the centre on a blue background",
                                      size="128x128", n=1, extra_body={"steps": 12, "seed": 1})
    png = base64.b64decode(picture.data[0].b64_json)
    assert png.startswith(b"\x89PNG")
    print("image:", len(png), "bytes of PNG")

if embedding:
    texts = ["Paris is the capital of France.", "The quick brown fox jumps over the lazy dog."]
    packed = client.embeddings.create(model=embedding, input=texts)  # base64 on the wire
    floats = client.embeddings.create(model=embedding, input=texts, encoding_format="float")
    assert [d.index for d in packed.data] == [0, 1]
    for a, b in zip(packed.data, floats.data):
        assert len(a.embedding) == len(b.embedding) and max(abs(x - y) for x, y in zip(a.embedding, b.embedding)) < 1e-6
    print("embeddings:", len(packed.data), "of", len(packed.data[0].embedding), "values,", packed.usage)
    try:
        client.embeddings.create(model=chat, input="hi")
        raise SystemExit("a chat model made embeddings")
    except openai.BadRequestError as error:
        print("chat model asked to embed:", error.status_code)

try:
    client.chat.completions.create(model="gpt-4o", messages=question)
    raise SystemExit("an unknown model was answered")
except openai.NotFoundError as error:
    print("unknown model:", error.status_code, error.body.get("code") if isinstance(error.body, dict) else error.body)
print("openai", openai.__version__, "works against", base)
