"""LunarLander that runs under numpy 2 in both its discrete and continuous forms.

gymnasium 0.29's continuous LunarLander casts the action to float32, so the impulses it hands
Box2D are numpy float32 scalars, which Box2D's SWIG layer rejects ("Converting from sequence to
b2Vec2"). Box2D needs plain floats; we convert them at the one call that receives them.
"""

from __future__ import annotations

import Box2D
from gymnasium.envs.box2d.lunar_lander import LunarLander as _GymLunarLander

_apply_impulse = Box2D.b2Body.ApplyLinearImpulse


def _apply_impulse_floats(body, impulse, point, wake):
    return _apply_impulse(
        body, (float(impulse[0]), float(impulse[1])), (float(point[0]), float(point[1])), wake
    )


class LunarLander(_GymLunarLander):
    """gymnasium's LunarLander-v2 with impulses converted to plain floats before Box2D."""

    def step(self, action):
        # Patch only for the duration of our own step, so other Box2D users see no change.
        Box2D.b2Body.ApplyLinearImpulse = _apply_impulse_floats
        try:
            return super().step(action)
        finally:
            Box2D.b2Body.ApplyLinearImpulse = _apply_impulse
