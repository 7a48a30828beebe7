"""A stand-in for docker-py's APIClient: records what DockerOperator asks of the engine.

The operator code under test (DockerOperator._run_image_with_mounts and
EtlStageOperator) runs for real; only the engine's answers are made up. The
end-to-end test drives the same code against a real engine.
"""

from __future__ import annotations


class FakeDockerAPI:
    def __init__(self, *, exit_code=0, stdout_lines=("{}",), stderr_after=(), stale=()):
        self.exit_code = exit_code
        # The container's log as the engine stores it: one list of (stream, line), in the order
        # the engine's copiers wrote them (stderr may land after the last stdout line).
        self.log = [
            ("stderr", "log line on stderr"),
            *(("stdout", line) for line in stdout_lines),
            *(("stderr", line) for line in stderr_after),
        ]
        self.stale = list(stale)  # containers() answers: dicts with Id, Names, State, Labels
        self.created: list[dict] = []
        self.removed: list[tuple[str, bool]] = []
        self.logs_calls: list[dict] = []
        self.filters: list[dict] = []

    # --- what DockerOperator and EtlStageOperator call -------------------------------
    def images(self, name=None):
        return [{"Id": "sha256:image"}]

    def create_host_config(self, **kwargs):
        return kwargs

    def create_container(self, **kwargs):
        self.created.append(kwargs)
        return {"Id": f"container-{len(self.created)}"}

    def attach(self, container, stdout, stderr, stream):
        return iter([("\n".join(line for _, line in self.log) + "\n").encode()])

    def start(self, container_id):
        pass

    def wait(self, container_id):
        return {"Error": None, "StatusCode": self.exit_code}

    def inspect_container(self, container_id):
        return {"Id": container_id, "State": {"Status": "exited", "ExitCode": self.exit_code}}

    def logs(self, container_id, stdout=True, stderr=True, tail="all"):
        self.logs_calls.append({"stdout": stdout, "stderr": stderr, "tail": tail})
        # As the engine does: the tail of both streams first, then the streams asked for.
        entries = self.log if tail == "all" else self.log[-int(tail) :]
        streams = {name for name, asked in (("stdout", stdout), ("stderr", stderr)) if asked}
        return "".join(f"{line}\n" for stream, line in entries if stream in streams).encode()

    def containers(self, all=False, filters=None):
        self.filters.append(filters)
        wanted = (filters or {}).get("label")
        key, _, value = wanted.partition("=")
        return [c for c in self.stale if c.get("Labels", {}).get(key) == value]

    def remove_container(self, container_id, force=False):
        self.removed.append((container_id, force))
