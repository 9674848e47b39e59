"""How a call is retried: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
Backoff And Jitter"), a cap per wait, a limit on attempts and a deadline for the whole call."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from integrations.devices.errors import DeviceError


def _retryable(err: BaseException) -> bool:
    return isinstance(err, DeviceError) and err.retryable


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_base_s: float = 0.2  # the n-th wait is uniform in [0, min(backoff_max_s, base * 2**(n-1))]
    backoff_max_s: float = 2.0
    attempt_timeout_s: float = 3.0  # one request's wait for an answer
    call_timeout_s: float = 10.0  # the whole call, waits included, unless the caller gives a timeout
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.attempt_timeout_s <= 0 or self.call_timeout_s <= 0:
            raise ValueError("max_attempts >= 1 and positive timeouts are required")

    def retrying(self, budget_s: float) -> Retrying:
        """Attempts for one call: retries a retryable DeviceError; stops when a wait would end past the
        call's budget or the attempts are used up; raises the last error."""
        return Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(budget_s),
            wait=wait_random_exponential(multiplier=self.backoff_base_s, max=self.backoff_max_s),
            retry=retry_if_exception(_retryable),
            sleep=self.sleep,
            reraise=True,
        )
