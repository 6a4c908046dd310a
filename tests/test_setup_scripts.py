"""The setup scripts never stop for a password, and the start command installs no test tools."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bash(script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_a_user_without_password_less_sudo_is_told_what_to_install():
    # As a user who is not root, with a sudo that would need a password: no prompt, a message.
    result = _bash("""
        source scripts/packages.sh
        id() { echo 1000; }
        sudo() { [ "$1" = -n ] && return 1; echo "prompted for a password"; return 0; }
        ensure_apt_packages no-such-package-strategy-record
    """)
    assert result.returncode == 1
    assert "prompted" not in result.stdout + result.stderr
    assert "needs these Debian packages: no-such-package-strategy-record" in result.stderr


def test_installed_packages_need_no_sudo_at_all():
    result = _bash("""
        source scripts/packages.sh
        id() { echo 1000; }
        sudo() { echo "sudo called"; return 1; }
        ensure_apt_packages bash coreutils
    """)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_start_command_installs_the_service_alone_and_the_test_command_adds_the_tools():
    setup = (ROOT / "scripts/setup.sh").read_text()
    test = (ROOT / "scripts/test.sh").read_text()
    assert 'ensure_python_packages ""' in setup and "[test]" not in setup
    assert "ensure_python_packages test" in test
