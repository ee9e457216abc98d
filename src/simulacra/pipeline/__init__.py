"""Reproducible pipelines: one YAML config from the real table to gated synthetic outputs.

``simulacra run pipeline.yaml`` (or :func:`run_pipeline`) reads a source, detects or reads the
metadata, holds real rows out, fits a model, samples, evaluates, checks quality gates and
writes the outputs with a run record; every step is cached by the hash of its inputs.
``simulacra init TABLE`` (:func:`starter_config`) writes a commented starter config.
"""

from simulacra.pipeline.config import PipelineConfig, json_schema
from simulacra.pipeline.execute import run_pipeline
from simulacra.pipeline.gates import GateResult
from simulacra.pipeline.loading import Pipeline, load_config
from simulacra.pipeline.runner import RunResult, StepRun
from simulacra.pipeline.starter import starter_config

__all__ = ["GateResult", "Pipeline", "PipelineConfig", "RunResult", "StepRun", "json_schema",
           "load_config", "run_pipeline", "starter_config"]
