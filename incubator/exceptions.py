"""Domain errors: a rule of the workflow forbids an action now (the API answers 409)."""


class WorkflowError(Exception):
    """Base of every rule violation; its message is shown to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
