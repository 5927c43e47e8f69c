"""Meaning beyond shared words: small-model vectors per document (plain Python + numpy, no Django).

    build:  documents ─► two passages each (opening: title, description, start of the text; outline:
            title and distinctive headings; ≤ 256 word pieces) ─► content-hash cache ─► MiniLM (numpy
            forward pass) for new or changed passages only ─► doc_vectors.npy in the version
    query:  query ─► MiniLM (loaded once per process) ─► cosine with each document's closer passage
            ─► top documents, for rank fusion with BM25's document ranking

Modules: model (the network and where its weights come from), passages (what of a document is
encoded), cache (vectors by content hash), build (writing a version's vectors), ranking (query side).
The model package is optional: without it, builds skip the vectors with one log line and the site
ranks by BM25 alone.
"""

from .build import VECTORS, add_document_vectors
from .model import ModelUnavailable, model_dir
from .ranking import DocumentRanking, DocumentVectors, encode_query, semantic_top_documents


def model_installed() -> bool:
    """Whether the model package and the tokenizer library are importable (nothing is loaded)."""
    import importlib.util

    try:
        model_dir()
    except ModelUnavailable:
        return False
    return importlib.util.find_spec("tokenizers") is not None


__all__ = [
    "VECTORS", "DocumentRanking", "DocumentVectors", "ModelUnavailable", "add_document_vectors",
    "encode_query", "model_installed", "semantic_top_documents",
]
