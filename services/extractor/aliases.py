"""The maintained alias table: model names as papers print them -> Hugging Face repo ids.

Keys are printed names; lookups normalise both sides (case, spaces, hyphens and underscores do not
matter: "Llama 3.2 1B", "LLaMA-3.2-1B" and "llama3.2-1b" are one key). Add a model by adding its
usual printed name; add its instruction-tuned repo under the same name plus "-Instruct" (or "-Chat",
"-it") so that a table captioned "instruction-tuned" resolves "SmolLM2-1.7B" to the Instruct repo.
"""

from __future__ import annotations

MODEL_ALIASES: dict[str, str] = {
    # SmolLM / SmolLM2
    "SmolLM2-135M": "HuggingFaceTB/SmolLM2-135M",
    "SmolLM2-360M": "HuggingFaceTB/SmolLM2-360M",
    "SmolLM2-1.7B": "HuggingFaceTB/SmolLM2-1.7B",
    "SmolLM2-135M-Instruct": "HuggingFaceTB/SmolLM2-135M-Instruct",
    "SmolLM2-360M-Instruct": "HuggingFaceTB/SmolLM2-360M-Instruct",
    "SmolLM2-1.7B-Instruct": "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "SmolLM-135M": "HuggingFaceTB/SmolLM-135M",
    "SmolLM-360M": "HuggingFaceTB/SmolLM-360M",
    "SmolLM-1.7B": "HuggingFaceTB/SmolLM-1.7B",
    "SmolLM1-135M": "HuggingFaceTB/SmolLM-135M",
    "SmolLM1-360M": "HuggingFaceTB/SmolLM-360M",
    "SmolLM1-1.7B": "HuggingFaceTB/SmolLM-1.7B",
    "SmolLM-135M-Instruct": "HuggingFaceTB/SmolLM-135M-Instruct",
    "SmolLM-360M-Instruct": "HuggingFaceTB/SmolLM-360M-Instruct",
    "SmolLM-1.7B-Instruct": "HuggingFaceTB/SmolLM-1.7B-Instruct",
    # Llama
    "Llama-3.2-1B": "meta-llama/Llama-3.2-1B",
    "Llama-3.2-3B": "meta-llama/Llama-3.2-3B",
    "Llama-3.2-1B-Instruct": "meta-llama/Llama-3.2-1B-Instruct",
    "Llama-3.2-3B-Instruct": "meta-llama/Llama-3.2-3B-Instruct",
    "Llama-3.1-8B": "meta-llama/Llama-3.1-8B",
    "Llama-3.1-8B-Instruct": "meta-llama/Llama-3.1-8B-Instruct",
    "Llama-3-8B": "meta-llama/Meta-Llama-3-8B",
    "Meta-Llama-3-8B": "meta-llama/Meta-Llama-3-8B",
    "Llama-3-8B-Instruct": "meta-llama/Meta-Llama-3-8B-Instruct",
    "Llama-2-7B": "meta-llama/Llama-2-7b-hf",
    "Llama-2-13B": "meta-llama/Llama-2-13b-hf",
    "Llama-2-7B-Chat": "meta-llama/Llama-2-7b-chat-hf",
    "Llama-2-13B-Chat": "meta-llama/Llama-2-13b-chat-hf",
    "TinyLlama-1.1B": "TinyLlama/TinyLlama_v1.1",
    "TinyLlama-1.1B-Chat": "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
    # Qwen
    "Qwen2.5-0.5B": "Qwen/Qwen2.5-0.5B",
    "Qwen2.5-1.5B": "Qwen/Qwen2.5-1.5B",
    "Qwen2.5-3B": "Qwen/Qwen2.5-3B",
    "Qwen2.5-7B": "Qwen/Qwen2.5-7B",
    "Qwen2.5-0.5B-Instruct": "Qwen/Qwen2.5-0.5B-Instruct",
    "Qwen2.5-1.5B-Instruct": "Qwen/Qwen2.5-1.5B-Instruct",
    "Qwen2.5-3B-Instruct": "Qwen/Qwen2.5-3B-Instruct",
    "Qwen2.5-7B-Instruct": "Qwen/Qwen2.5-7B-Instruct",
    "Qwen2-0.5B": "Qwen/Qwen2-0.5B",
    "Qwen2-1.5B": "Qwen/Qwen2-1.5B",
    "Qwen2-0.5B-Instruct": "Qwen/Qwen2-0.5B-Instruct",
    "Qwen2-1.5B-Instruct": "Qwen/Qwen2-1.5B-Instruct",
    # Mistral
    "Mistral-7B": "mistralai/Mistral-7B-v0.1",
    "Mistral-7B-v0.1": "mistralai/Mistral-7B-v0.1",
    "Mistral-7B-Instruct": "mistralai/Mistral-7B-Instruct-v0.2",
    "Mistral-7B-Instruct-v0.2": "mistralai/Mistral-7B-Instruct-v0.2",
    # Gemma
    "Gemma-2B": "google/gemma-2b",
    "Gemma-7B": "google/gemma-7b",
    "Gemma-2B-it": "google/gemma-2b-it",
    "Gemma-7B-it": "google/gemma-7b-it",
    "Gemma-2-2B": "google/gemma-2-2b",
    "Gemma-2-2B-it": "google/gemma-2-2b-it",
    # Phi
    "Phi-1.5": "microsoft/phi-1_5",
    "Phi-2": "microsoft/phi-2",
    # OLMo
    "OLMo-1B": "allenai/OLMo-1B-hf",
    "OLMo-7B": "allenai/OLMo-7B-hf",
    # Pythia
    "Pythia-70M": "EleutherAI/pythia-70m",
    "Pythia-160M": "EleutherAI/pythia-160m",
    "Pythia-410M": "EleutherAI/pythia-410m",
    "Pythia-1B": "EleutherAI/pythia-1b",
    "Pythia-1.4B": "EleutherAI/pythia-1.4b",
    "Pythia-2.8B": "EleutherAI/pythia-2.8b",
    "Pythia-6.9B": "EleutherAI/pythia-6.9b",
    # Others
    "Falcon-7B": "tiiuae/falcon-7b",
    "MPT-7B": "mosaicml/mpt-7b",
    "StableLM-2-1.6B": "stabilityai/stablelm-2-1_6b",
    "OPT-1.3B": "facebook/opt-1.3b",
    "OPT-350M": "facebook/opt-350m",
    "BLOOM-1B1": "bigscience/bloom-1b1",
    "GPT-2": "openai-community/gpt2",
    "GPT-2 Medium": "openai-community/gpt2-medium",
    "GPT-2 Large": "openai-community/gpt2-large",
    "GPT-2 XL": "openai-community/gpt2-xl",
    "DeepSeek-LLM-7B": "deepseek-ai/deepseek-llm-7b-base",
    "Yi-6B": "01-ai/Yi-6B",
    "MobileLLM-125M": "facebook/MobileLLM-125M",
    "OpenELM-1.1B": "apple/OpenELM-1_1B",
}
