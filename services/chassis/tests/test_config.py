import pytest

from services.chassis.config import ConfigError, Env, ServiceSettings, default_database_url


def test_every_problem_is_reported_at_once_each_naming_its_variable():
    environ = {
        "TONGBAN_ENV": "staging",
        "IDENTITY_PORT": "fifty",
        "IDENTITY_DATABASE_URL": "mysql://db/identity",
        "NOTIFY_ADDR": "notify-without-port",
        "LOG_LEVEL": "CHATTY",
    }
    with pytest.raises(ConfigError) as raised:
        ServiceSettings.from_env("identity", environ)
    problems = raised.value.problems
    assert len(problems) == 5
    for variable in ("TONGBAN_ENV", "IDENTITY_PORT", "IDENTITY_DATABASE_URL", "NOTIFY_ADDR", "LOG_LEVEL"):
        assert any(problem.startswith(variable) for problem in problems), variable
    assert "IDENTITY_PORT" in str(raised.value)


def test_a_missing_required_variable_is_named():
    env = Env({})
    env.str("SMTP_HOST")
    env.int("SMTP_PORT")
    with pytest.raises(ConfigError) as raised:
        env.check()
    assert raised.value.problems == ["SMTP_HOST is required but not set", "SMTP_PORT is required but not set"]


def test_numbers_outside_their_range_are_refused():
    env = Env({"IDENTITY_PORT": "70000", "IDENTITY_GRPC_WORKERS": "0"})
    ServiceSettings.read("identity", env, "IDENTITY")
    assert any("IDENTITY_PORT=70000 is above the maximum 65535" in p for p in env.problems)
    assert any("IDENTITY_GRPC_WORKERS=0 is below the minimum 1" in p for p in env.problems)


def test_booleans_accept_the_usual_spellings_and_refuse_others():
    env = Env({"A": "yes", "B": "Off", "C": "maybe"})
    assert env.bool("A") is True
    assert env.bool("B") is False
    env.bool("C")
    assert env.problems == ["C='maybe' is not a boolean (true/false)"]


def test_dev_runs_with_no_variables_at_all():
    settings = ServiceSettings.from_env("rare_earth", {})
    assert settings.is_dev
    assert settings.database_url == default_database_url("rare_earth")
    assert settings.database_url.endswith("var/rare_earth.db")
    assert settings.grpc_port == 50053
    assert settings.peers["identity"] == "localhost:50051"
    assert settings.consul_http_addr is None
    assert settings.advertise_host is None


PRODUCTION_BROKER = "amqps://notify:s3cret@rabbitmq.tongban.svc:5671/tongban"


def test_production_requires_the_service_database_url_and_a_broker():
    with pytest.raises(ConfigError) as raised:
        ServiceSettings.from_env("notify", {"TONGBAN_ENV": "prod"})
    assert set(raised.value.problems) == {"NOTIFY_DATABASE_URL is required but not set",
                                          "AMQP_URL is required but not set"}

    settings = ServiceSettings.from_env(
        "notify", {"TONGBAN_ENV": "prod", "NOTIFY_DATABASE_URL": "postgresql://db/notify",
                   "AMQP_URL": PRODUCTION_BROKER})
    assert settings.database_url == "postgresql://db/notify" and settings.amqp_url == PRODUCTION_BROKER


@pytest.mark.parametrize("broker", ["amqp://guest:guest@localhost:5672/%2F", "amqp://guest:guest@rabbitmq/%2F",
                                    "amqp://notify:x@127.0.0.1/tongban"])
def test_production_refuses_the_developers_broker_naming_the_variable(broker):
    with pytest.raises(ConfigError) as raised:
        ServiceSettings.from_env("notify", {"TONGBAN_ENV": "prod", "NOTIFY_DATABASE_URL": "postgresql://db/notify",
                                            "AMQP_URL": broker})
    assert raised.value.problems == ["AMQP_URL must name the production broker and its own user, not guest@localhost"]


def test_peer_addresses_and_advertised_host_come_from_the_environment():
    settings = ServiceSettings.from_env("inspection", {
        "IDENTITY_ADDR": "identity.tongban.svc:50051",
        "INSPECTION_PORT": "6000",
        "CONSUL_HTTP_ADDR": "consul:8500",
        "POD_IP": "10.0.0.7",
    })
    assert settings.peers["identity"] == "identity.tongban.svc:50051"
    assert settings.grpc_port == 6000
    assert settings.consul_http_addr == "consul:8500"
    assert settings.advertise_host == "10.0.0.7"
