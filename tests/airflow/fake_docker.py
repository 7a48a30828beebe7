"""A stand-in for docker-py's APIClient: records what DockerOperator asks of the engine.

The operator code under test (DockerOperator._run_image_with_mounts and
EtlStageOperator) runs for real; only the engine's answers are made up. The
end-to-end test drives the same code against a real engine.
"""

from __future__ import annotations


class FakeDockerAPI:
    def __init__(self, *, exit_code=0, stdout_lines=("{}",), stale=()):
        self.exit_code = exit_code
        self.stdout_lines = list(stdout_lines)
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
        return iter([("\n".join(["log line on stderr", *self.stdout_lines]) + "\n").encode()])

    def start(self, container_id):
        pass

    def wait(self, container_id):
        return {"Error": None, "StatusCode": self.exit_code}

    def inspect_container(self, container_id):
        return {"Id": container_id, "State": {"Status": "exited", "ExitCode": self.exit_code}}

    def logs(self, container_id, stdout=True, stderr=True, tail="all"):
        self.logs_calls.append({"stdout": stdout, "stderr": stderr, "tail": tail})
        lines = self.stdout_lines if tail == "all" else self.stdout_lines[-int(tail) :]
        return ("\n".join(lines) + "\n").encode()

    def containers(self, all=False, filters=None):
        self.filters.append(filters)
        wanted = (filters or {}).get("label")
        key, _, value = wanted.partition("=")
        return [c for c in self.stale if c.get("Labels", {}).get(key) == value]

    def remove_container(self, container_id, force=False):
        self.removed.append((container_id, force))
