"""Conformance of the tsgrad kernel to the Jupyter messaging protocol, checked by jupyter_kernel_test.

Run with Debian's Python, the kernelspec installed where Jupyter finds it (test/interop.test.ts does this):
    TSGRAD_KERNEL_NAME=tsgrad /usr/bin/python3 -m unittest -v test_tsgrad_kernel
Every sample the suite asks for is given, so no test is skipped.
"""

import os
import unittest

import jupyter_kernel_test


class TsgradKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("TSGRAD_KERNEL_NAME", "tsgrad")

    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "const longVariableName = 1; longVariableN", "matches": {"longVariableName"}},
    ]

    complete_code_samples = ["1 + 1", "const a = [1, 2];", "function f(x: number) { return x; }"]
    incomplete_code_samples = ["function f(x: number) {", "const a = [1,", "`unclosed template"]
    invalid_code_samples = ["const = ;", "let let let", "1 +* 2"]

    # IPython's help syntax: the inspection of the name, shown in the pager.
    code_page_something = "Math.max?"

    code_generate_error = 'throw new Error("boom")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"con" + "cat"', "result": "'concat'"},
        {"code": "[1, 2, 3].map((n) => n * 2)", "result": "[ 2, 4, 6 ]"},
    ]

    code_display_data = [
        {"code": 'display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'display.svg("<svg xmlns=\'http://www.w3.org/2000/svg\'></svg>")', "mime": "image/svg+xml"},
        {"code": 'display.markdown("**bold**")', "mime": "text/markdown"},
    ]

    # Matches exactly one distinct cell of code_execute_result (a GLOB pattern, as IPython's history search takes).
    code_history_pattern = "6 [*] 7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "Math.max"

    code_clear_output = "clear_output()"


if __name__ == "__main__":
    unittest.main()
