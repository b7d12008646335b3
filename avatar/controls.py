"""The user's controls, one schema: the config section, the request options and the CLI flags.

``Controls`` holds each control's type, bounds and description; the values live in
``configs/inference.yaml`` (section ``controls``). From it derive the config section
(``avatar.config.ControlsConfig``), ``ControlOptions`` (every field optional: the HTTP form of
``POST /generate`` and a stream's start message) and the command-line flags
(``avatar.cli.common.add_control_args``), so a bound changed here changes all three.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from .expression.emotions import EMOTIONS, check_emotion

SEED_MAX = 2**31 - 1  # numpy's and torch's seeds both take it; JSON and form fields carry it exactly


class Controls(BaseModel):
    """Motion and expression: what the CLI's --seed, --head-motion, --still, --blink ... set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(ge=0, le=SEED_MAX, description="seed of the motion's random draws")
    head_motion: float = Field(ge=0.0, le=2.0, description="scale of the head's motion")
    still: bool = Field(description="no head motion at all")
    blink: bool = Field(description="blinks")
    gaze: Literal["natural", "camera"] = Field(
        description="natural: looks away and back; camera: fixed on the viewer"
    )
    expression_scale: float = Field(
        ge=0.0, le=2.0, description="scale of the lip-sync's mouth shapes (closures are kept)"
    )
    emotion: Annotated[str, AfterValidator(check_emotion)] = Field(
        description=f"emotion preset: one of {', '.join(EMOTIONS)}",
        json_schema_extra={"enum": list(EMOTIONS)},
    )
    emotion_strength: float = Field(ge=0.0, le=1.0, description="strength of the emotion")


class Options(BaseModel):
    """Base of the request options: ``overrides()`` gives the controls that were set as config keys."""

    control_fields: ClassVar[tuple[str, ...]] = ()  # the schema's fields (subclasses add others)

    def overrides(self) -> dict[str, Any]:
        """The controls that were set, as config keys: ``{"controls.seed": 3}``."""
        values = {k: getattr(self, k) for k in self.control_fields}
        return {f"controls.{k}": v for k, v in values.items() if v is not None}


def options_model(schema: type[BaseModel], name: str = "ControlOptions") -> type[Options]:
    """``schema`` with every field optional (``T | None = None``), its bounds and validators kept
    on ``T``: what a request may set, each field left out keeping the server's configuration."""
    fields: dict[str, Any] = {}
    for field, info in schema.model_fields.items():
        kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
        fields[field] = (kind | None, Field(None, description=info.description))
    doc = (
        f"The controls ({schema.__name__}) a request may set; each left out keeps the server's configuration."
    )
    model = create_model(name, __base__=Options, __doc__=doc, **fields)
    model.control_fields = tuple(schema.model_fields)
    return model


# The HTTP form of POST /generate and a stream's start message (both subclass it).
ControlOptions = options_model(Controls)
