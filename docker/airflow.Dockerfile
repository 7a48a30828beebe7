# The Airflow image of docker-compose.yml: the official image plus the
# providers the DAG imports, pinned to the versions tests/airflow runs
# (tests/airflow/requirements.txt; a test keeps the two in step). Installed
# once, when the image is built, instead of by _PIP_ADDITIONAL_REQUIREMENTS
# on every container start. Naming apache-airflow with its version keeps pip
# from upgrading or downgrading Airflow itself.
#
#   docker build -f docker/airflow.Dockerfile -t tiktok-etl-airflow:3.3.2 docker
ARG AIRFLOW_VERSION=3.3.2
FROM apache/airflow:${AIRFLOW_VERSION}
ARG AIRFLOW_VERSION
RUN pip install --no-cache-dir \
        "apache-airflow==${AIRFLOW_VERSION}" \
        "apache-airflow-providers-docker==4.6.1" \
        "apache-airflow-providers-smtp==3.2.0"
