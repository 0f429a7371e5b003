"""The worker-side rules that a killed worker exercises, driven here without one: a part counted
once however often its task runs, a task delivered a third time failing its job, and a plan
delivered again after its worker died midway."""

import pytest

from bench.job_client import zip_of_small_files
from developers.models import DeveloperProfile
from dicom_core.options import ReadOptions
from jobs import services, storage
from jobs.models import JobFile, JobTask, ReadJob
from jobs.reading import read_options_to_json
from tests.conftest import api_key_header
from tests.jobs.conftest import JOBS


@pytest.fixture
def running_job(developer, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "jobs": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    job = ReadJob.objects.create(
        profile=DeveloperProfile.objects.get(user__email=developer.email),
        status=ReadJob.Status.RUNNING,
        planned=True,
        options={},
        upload_name="unused",
        file_name="cine.dcm",
        uid_salt="salt",
        status_url="http://testserver/",
        files_total=1,
    )
    file = JobFile.objects.create(job=job, index=0, name="cine.dcm", source="unused", parts_total=2)
    return job, file


def test_a_part_stored_twice_is_counted_once(running_job):
    job, file = running_job
    task = JobTask.objects.create(job=job, index=0, items=[[0, 0, None, 25], [0, 1, None, 25]])
    first = services.StoredPart(file, 0, 25)
    for _ in range(2):  # the same part, from a task delivered again after its worker died
        assert services.record_parts(job_id=job.id, task=task, parts=[first])
    job.refresh_from_db()
    assert (job.files_done, job.frames_done) == (0, 25)
    # a delivery that stored both parts while another recorded the first: the second still counts
    assert services.record_parts(job_id=job.id, task=task, parts=[first, services.StoredPart(file, 1, 25)])
    services.job_finish_if_done(job_id=job.id)
    job.refresh_from_db()
    assert (job.status, job.files_done, job.frames_done) == ("succeeded", 1, 50)
    assert JobTask.objects.get(pk=task.pk).done


def test_a_task_delivered_a_third_time_fails_its_job(running_job, developer):
    job, _ = running_job
    JobTask.objects.create(job=job, index=0, items=[[0, 0, None, 50]], attempts=services.MAX_ATTEMPTS)
    services.job_read_task(job_id=str(job.id), task_index=0)  # its worker died twice before
    body = developer.client.get(f"{JOBS}{job.id}/", **api_key_header(developer.key)).json()
    assert body["status"] == "failed" and "failed 2 times" in body["error"]
    assert developer.client.get(f"{JOBS}{job.id}/results/", **api_key_header(developer.key)).status_code == 409


class WorkerDied(Exception):
    pass


def test_a_plan_delivered_again_after_its_worker_died_records_each_file_and_task_once(developer, settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "jobs": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
    settings.JOB_FILES_PER_TASK = 2
    job = ReadJob.objects.create(
        profile=DeveloperProfile.objects.get(user__email=developer.email),
        status=ReadJob.Status.RUNNING,
        options=read_options_to_json(ReadOptions(isolated=False)),
        upload_name="jobs/upload",
        file_name="series.zip",
        uid_salt="salt",
        status_url="http://testserver/",
    )
    storage.put(job.upload_name, zip_of_small_files(5, 16, 16))
    sent = []

    def dies_after_the_second_task(index: int) -> None:
        sent.append(index)
        if len(sent) == 2:
            raise WorkerDied

    with pytest.raises(WorkerDied):
        services.plan(job, dies_after_the_second_task)
    assert sent == [0, 1] and JobFile.objects.filter(job=job).count() == 4  # the files of the tasks sent
    job.refresh_from_db()
    assert job.files_total == 4 and not job.planned
    services.job_read_task(job_id=str(job.id), task_index=0)  # another worker read the first task meanwhile

    sent_again = []
    assert services.plan(job, sent_again.append)
    assert sent_again == [1, 2]  # the task recorded but not done, and the new one
    assert JobFile.objects.filter(job=job).count() == 5 and JobTask.objects.filter(job=job).count() == 3
    for index in sent_again:
        services.job_read_task(job_id=str(job.id), task_index=index)
    job.refresh_from_db()
    assert (job.status, job.files_total, job.files_done, job.frames_done) == ("succeeded", 5, 5, 5)
    assert [file["name"] for file in services.job_results_page(job=job, page=1)] == [f"series/{i:04d}.dcm" for i in range(5)]
