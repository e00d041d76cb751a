/*
 * handlers/openapi.json, built into the binary at compile time (the
 * Makefile compiles from the top of the tree and rebuilds this file when
 * the document changes).
 */
__asm__("	.section .rodata\n"
        "	.global openapi_json\n"
        "	.type openapi_json, @object\n"
        "openapi_json:\n"
        "	.incbin \"handlers/openapi.json\"\n"
        "openapi_json_end:\n"
        "	.byte 0\n"
        "	.global openapi_json_len\n"
        "	.type openapi_json_len, @object\n"
        "	.balign 8\n"
        "openapi_json_len:\n"
        "	.quad openapi_json_end - openapi_json\n"
        "	.previous\n");
