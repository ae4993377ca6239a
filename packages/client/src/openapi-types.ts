// Generated from the API's OpenAPI document by `pnpm client:types` (openapi-typescript); do not edit.
// A test compares it with the document a running API serves, so it cannot drift from the server.
export interface paths {
    "/healthz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            status?: string;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/readyz": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Readiness */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            checks?: {
                                [key: string]: "ok" | "down";
                            };
                            /** @enum {string} */
                            status?: "ok" | "degraded";
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tus": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a resumable (tus 1.0) upload
         * @description tus creation (and creation-with-upload): `Upload-Length` (at most MAX_UPLOAD_BYTES) and `Upload-Metadata` with `filename`, `publicId`, `folder`, `tags`, `metadata`, `resourceType`, `eager`, `dedupe`, validated as the multipart fields. Answers 201 with `Location: /v1/tus/<uploadId>`; the upload is `receiving` until its last byte, then inspected and queued (GET /v1/uploads/<uploadId>). A repeated Idempotency-Key answers 201 with the original upload's Location and Upload-Offset (`Idempotent-Replayed: true`).
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description 1–255 visible ASCII characters */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Problem details (RFC 9457) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                412: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/tus/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Resume (HEAD, PATCH) or terminate (DELETE) a tus upload */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        options?: never;
        /** Resume (HEAD, PATCH) or terminate (DELETE) a tus upload */
        head: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        /** Resume (HEAD, PATCH) or terminate (DELETE) a tus upload */
        patch: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                410: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        trace?: never;
    };
    "/v1/uploads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's uploads */
        get: {
            parameters: {
                query?: {
                    createdAfter?: string;
                    createdBefore?: string;
                    cursor?: string;
                    limit?: number;
                    status?: "receiving" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "deleted";
                    tag?: string;
                };
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            nextCursor: string | null;
                            uploads: {
                                /** @description Provider attempts spent (rate-limited calls and runs cut short by a dying worker do not count). */
                                attempts: number;
                                bytes: number | null;
                                /** Format: date-time */
                                completedAt: string | null;
                                contentType: string | null;
                                /** Format: date-time */
                                createdAt: string;
                                /** Format: date-time */
                                deletedAt: string | null;
                                error: {
                                    code: string;
                                    message: string;
                                } | null;
                                filename: string;
                                /** Format: uuid */
                                id: string;
                                /** @description The provider the upload was sent to (cloudinary, imagekit, cloudflare); `result.provider` says where it landed. */
                                provider: string;
                                /** @description Times a worker died (or lost its lock) while running the upload and another took it over; at more than MAX_RECLAIMS it fails with `reclaims_exhausted`. */
                                reclaims: number;
                                result: {
                                    /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                    assetId?: string | null;
                                    bytes: number;
                                    /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                    deliveryUrls?: {
                                        [key: string]: string;
                                    } | null;
                                    format: string | null;
                                    height: number | null;
                                    /** @description With PROVIDER_MIRROR: the copies on the mirror provider, each like the result itself. */
                                    mirrors?: {
                                        /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                        assetId?: string | null;
                                        bytes?: number;
                                        /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                        deliveryUrls?: {
                                            [key: string]: string;
                                        } | null;
                                        format?: string | null;
                                        height?: number | null;
                                        provider: string;
                                        publicId: string;
                                        /** @description The provider's resource type (image, video, raw). */
                                        resourceType?: string | null;
                                        secureUrl: string;
                                        url: string;
                                        version?: number | null;
                                        width?: number | null;
                                    }[] | null;
                                    provider: string;
                                    publicId: string;
                                    /** @description The provider's resource type (image, video, raw). */
                                    resourceType?: string | null;
                                    secureUrl: string;
                                    url: string;
                                    version: number | null;
                                    width: number | null;
                                } | null;
                                /** @description Times the upload was sent back to the queue after failing. */
                                retryCount: number;
                                sha256: string | null;
                                /** @description For uploads from a URL: the URL given. */
                                sourceUrl: string | null;
                                /** @enum {string} */
                                status: "receiving" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "deleted";
                                /** Format: date-time */
                                updatedAt: string;
                            }[];
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        /**
         * Upload a file, or a file from a URL
         * @description multipart/form-data: streams the file to temporary storage and answers 202 once it is queued. application/json `{"url": …}`: answers 202 at once; a worker fetches the URL (SSRF-safe, size- and time-limited). A repeated Idempotency-Key answers 200 with the original upload.
         */
        post: {
            parameters: {
                query?: never;
                header?: {
                    /** @description 1–255 visible ASCII characters */
                    "idempotency-key"?: string;
                };
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        eager?: string[] | string;
                        folder?: string;
                        metadata?: {
                            [key: string]: string | number | boolean;
                        };
                        /** @description The provider to store it with (cloudinary, imagekit, cloudflare); default: the tenant's, else the deployment's. One that is not configured, or cannot honour the options or the file, is refused with 422. */
                        provider?: string;
                        publicId?: string;
                        /** @enum {string} */
                        resourceType?: "image" | "video" | "raw" | "auto";
                        tags?: string[] | string;
                        /** @description http(s) URL of the file; fetched by a worker, SSRF-safe (no private, loopback or metadata addresses, at any redirect). */
                        url: string;
                    };
                    "multipart/form-data": {
                        /** @enum {string} */
                        dedupe?: "true" | "false";
                        /** @description Comma-separated preset names: thumbnail, preview, square. */
                        eager?: string;
                        /**
                         * Format: binary
                         * @description The file; its type is sniffed from its bytes. Send either file or files.
                         */
                        file?: string;
                        /** @description Several files; the answer has an entry per file. */
                        files?: string[];
                        folder?: string;
                        /** @description A JSON object of string, number or boolean values, at most 1024 bytes. */
                        metadata?: string;
                        /** @description cloudinary, imagekit or cloudflare; default: the tenant's default, else the deployment's. */
                        provider?: string;
                        publicId?: string;
                        /** @enum {string} */
                        resourceType?: "image" | "video" | "raw" | "auto";
                        /** @description Comma-separated, at most 50, each at most 100 characters. */
                        tags?: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: string;
                            statusUrl: string;
                        };
                    };
                };
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            id: string;
                            status: string;
                            statusUrl: string;
                        } | {
                            uploads: ({
                                id: string;
                                status: string;
                                statusUrl: string;
                            } | {
                                error: {
                                    [key: string]: unknown;
                                };
                                filename: string;
                            })[];
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                413: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get an upload
         * @description With `wait=N`, answers as soon as the upload is final, or after N seconds with its status then. Carries a strong `ETag` and `Cache-Control: private, no-cache`; with `If-None-Match` naming the current ETag it answers `304` without a body.
         */
        get: {
            parameters: {
                query?: {
                    wait?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Provider attempts spent (rate-limited calls and runs cut short by a dying worker do not count). */
                            attempts: number;
                            bytes: number | null;
                            /** Format: date-time */
                            completedAt: string | null;
                            contentType: string | null;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            deletedAt: string | null;
                            error: {
                                code: string;
                                message: string;
                            } | null;
                            filename: string;
                            /** Format: uuid */
                            id: string;
                            /** @description The provider the upload was sent to (cloudinary, imagekit, cloudflare); `result.provider` says where it landed. */
                            provider: string;
                            /** @description Times a worker died (or lost its lock) while running the upload and another took it over; at more than MAX_RECLAIMS it fails with `reclaims_exhausted`. */
                            reclaims: number;
                            result: {
                                /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                assetId?: string | null;
                                bytes: number;
                                /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                deliveryUrls?: {
                                    [key: string]: string;
                                } | null;
                                format: string | null;
                                height: number | null;
                                /** @description With PROVIDER_MIRROR: the copies on the mirror provider, each like the result itself. */
                                mirrors?: {
                                    /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                    assetId?: string | null;
                                    bytes?: number;
                                    /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                    deliveryUrls?: {
                                        [key: string]: string;
                                    } | null;
                                    format?: string | null;
                                    height?: number | null;
                                    provider: string;
                                    publicId: string;
                                    /** @description The provider's resource type (image, video, raw). */
                                    resourceType?: string | null;
                                    secureUrl: string;
                                    url: string;
                                    version?: number | null;
                                    width?: number | null;
                                }[] | null;
                                provider: string;
                                publicId: string;
                                /** @description The provider's resource type (image, video, raw). */
                                resourceType?: string | null;
                                secureUrl: string;
                                url: string;
                                version: number | null;
                                width: number | null;
                            } | null;
                            /** @description Times the upload was sent back to the queue after failing. */
                            retryCount: number;
                            sha256: string | null;
                            /** @description For uploads from a URL: the URL given. */
                            sourceUrl: string | null;
                            /** @enum {string} */
                            status: "receiving" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "deleted";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
                /** @description Not modified: the If-None-Match ETag is current. */
                304: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Problem details (RFC 9457) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /**
         * Delete an upload and its asset
         * @description Deletes the provider asset first, then marks the upload `deleted`; repeating it answers the same.
         */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Provider attempts spent (rate-limited calls and runs cut short by a dying worker do not count). */
                            attempts: number;
                            bytes: number | null;
                            /** Format: date-time */
                            completedAt: string | null;
                            contentType: string | null;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            deletedAt: string | null;
                            error: {
                                code: string;
                                message: string;
                            } | null;
                            filename: string;
                            /** Format: uuid */
                            id: string;
                            /** @description The provider the upload was sent to (cloudinary, imagekit, cloudflare); `result.provider` says where it landed. */
                            provider: string;
                            /** @description Times a worker died (or lost its lock) while running the upload and another took it over; at more than MAX_RECLAIMS it fails with `reclaims_exhausted`. */
                            reclaims: number;
                            result: {
                                /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                assetId?: string | null;
                                bytes: number;
                                /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                deliveryUrls?: {
                                    [key: string]: string;
                                } | null;
                                format: string | null;
                                height: number | null;
                                /** @description With PROVIDER_MIRROR: the copies on the mirror provider, each like the result itself. */
                                mirrors?: {
                                    /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                    assetId?: string | null;
                                    bytes?: number;
                                    /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                    deliveryUrls?: {
                                        [key: string]: string;
                                    } | null;
                                    format?: string | null;
                                    height?: number | null;
                                    provider: string;
                                    publicId: string;
                                    /** @description The provider's resource type (image, video, raw). */
                                    resourceType?: string | null;
                                    secureUrl: string;
                                    url: string;
                                    version?: number | null;
                                    width?: number | null;
                                }[] | null;
                                provider: string;
                                publicId: string;
                                /** @description The provider's resource type (image, video, raw). */
                                resourceType?: string | null;
                                secureUrl: string;
                                url: string;
                                version: number | null;
                                width: number | null;
                            } | null;
                            /** @description Times the upload was sent back to the queue after failing. */
                            retryCount: number;
                            sha256: string | null;
                            /** @description For uploads from a URL: the URL given. */
                            sourceUrl: string | null;
                            /** @enum {string} */
                            status: "receiving" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "deleted";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                502: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}/cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Cancel an upload
         * @description Queued: removed from the queue. Running: stopped at its next step, and any asset it created is removed.
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Provider attempts spent (rate-limited calls and runs cut short by a dying worker do not count). */
                            attempts: number;
                            bytes: number | null;
                            /** Format: date-time */
                            completedAt: string | null;
                            contentType: string | null;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            deletedAt: string | null;
                            error: {
                                code: string;
                                message: string;
                            } | null;
                            filename: string;
                            /** Format: uuid */
                            id: string;
                            /** @description The provider the upload was sent to (cloudinary, imagekit, cloudflare); `result.provider` says where it landed. */
                            provider: string;
                            /** @description Times a worker died (or lost its lock) while running the upload and another took it over; at more than MAX_RECLAIMS it fails with `reclaims_exhausted`. */
                            reclaims: number;
                            result: {
                                /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                assetId?: string | null;
                                bytes: number;
                                /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                deliveryUrls?: {
                                    [key: string]: string;
                                } | null;
                                format: string | null;
                                height: number | null;
                                /** @description With PROVIDER_MIRROR: the copies on the mirror provider, each like the result itself. */
                                mirrors?: {
                                    /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                    assetId?: string | null;
                                    bytes?: number;
                                    /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                    deliveryUrls?: {
                                        [key: string]: string;
                                    } | null;
                                    format?: string | null;
                                    height?: number | null;
                                    provider: string;
                                    publicId: string;
                                    /** @description The provider's resource type (image, video, raw). */
                                    resourceType?: string | null;
                                    secureUrl: string;
                                    url: string;
                                    version?: number | null;
                                    width?: number | null;
                                }[] | null;
                                provider: string;
                                publicId: string;
                                /** @description The provider's resource type (image, video, raw). */
                                resourceType?: string | null;
                                secureUrl: string;
                                url: string;
                                version: number | null;
                                width: number | null;
                            } | null;
                            /** @description Times the upload was sent back to the queue after failing. */
                            retryCount: number;
                            sha256: string | null;
                            /** @description For uploads from a URL: the URL given. */
                            sourceUrl: string | null;
                            /** @enum {string} */
                            status: "receiving" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "deleted";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Follow an upload (Server-Sent Events) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description text/event-stream of `status` events */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "text/event-stream": string;
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/uploads/{id}/retry": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Retry a failed upload
         * @description Sends a failed upload back to the queue with fresh attempts. URL uploads can always be retried (the URL is fetched again); file uploads while their bytes are kept (uploads that ran out of attempts, for FAILED_UPLOAD_RETENTION_MS).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                202: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** @description Provider attempts spent (rate-limited calls and runs cut short by a dying worker do not count). */
                            attempts: number;
                            bytes: number | null;
                            /** Format: date-time */
                            completedAt: string | null;
                            contentType: string | null;
                            /** Format: date-time */
                            createdAt: string;
                            /** Format: date-time */
                            deletedAt: string | null;
                            error: {
                                code: string;
                                message: string;
                            } | null;
                            filename: string;
                            /** Format: uuid */
                            id: string;
                            /** @description The provider the upload was sent to (cloudinary, imagekit, cloudflare); `result.provider` says where it landed. */
                            provider: string;
                            /** @description Times a worker died (or lost its lock) while running the upload and another took it over; at more than MAX_RECLAIMS it fails with `reclaims_exhausted`. */
                            reclaims: number;
                            result: {
                                /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                assetId?: string | null;
                                bytes: number;
                                /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                deliveryUrls?: {
                                    [key: string]: string;
                                } | null;
                                format: string | null;
                                height: number | null;
                                /** @description With PROVIDER_MIRROR: the copies on the mirror provider, each like the result itself. */
                                mirrors?: {
                                    /** @description The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id). */
                                    assetId?: string | null;
                                    bytes?: number;
                                    /** @description Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string. */
                                    deliveryUrls?: {
                                        [key: string]: string;
                                    } | null;
                                    format?: string | null;
                                    height?: number | null;
                                    provider: string;
                                    publicId: string;
                                    /** @description The provider's resource type (image, video, raw). */
                                    resourceType?: string | null;
                                    secureUrl: string;
                                    url: string;
                                    version?: number | null;
                                    width?: number | null;
                                }[] | null;
                                provider: string;
                                publicId: string;
                                /** @description The provider's resource type (image, video, raw). */
                                resourceType?: string | null;
                                secureUrl: string;
                                url: string;
                                version: number | null;
                                width: number | null;
                            } | null;
                            /** @description Times the upload was sent back to the queue after failing. */
                            retryCount: number;
                            sha256: string | null;
                            /** @description For uploads from a URL: the URL given. */
                            sourceUrl: string | null;
                            /** @enum {string} */
                            status: "receiving" | "queued" | "processing" | "succeeded" | "failed" | "cancelled" | "deleted";
                            /** Format: date-time */
                            updatedAt: string;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                429: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List the tenant's webhook endpoints */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            webhooks: {
                                /** Format: date-time */
                                createdAt: string;
                                events: ("upload.succeeded" | "upload.failed" | "upload.cancelled" | "upload.deleted")[];
                                /** Format: uuid */
                                id: string;
                                url: string;
                            }[];
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        /**
         * Register a webhook endpoint
         * @description Events are POSTed to the URL, signed with the secret in this answer (shown only here). One endpoint per URL (409 `webhook-url-taken`), at most 20 per tenant (409 `too-many-webhooks`).
         */
        post: {
            parameters: {
                query?: never;
                header?: never;
                path?: never;
                cookie?: never;
            };
            requestBody: {
                content: {
                    "application/json": {
                        /** @description Event types to receive; default: all */
                        events?: ("upload.succeeded" | "upload.failed" | "upload.cancelled" | "upload.deleted")[];
                        /** @description http(s) URL the events are POSTed to; must reach a public address */
                        url: string;
                    };
                };
            };
            responses: {
                /** @description Default Response */
                201: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: date-time */
                            createdAt: string;
                            events: ("upload.succeeded" | "upload.failed" | "upload.cancelled" | "upload.deleted")[];
                            /** Format: uuid */
                            id: string;
                            /** @description The signing secret. Shown only in this answer: store it now. */
                            secret: string;
                            url: string;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                409: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                415: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                422: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get a webhook endpoint (without its secret) */
        get: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            /** Format: date-time */
                            createdAt: string;
                            events: ("upload.succeeded" | "upload.failed" | "upload.cancelled" | "upload.deleted")[];
                            /** Format: uuid */
                            id: string;
                            url: string;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        /** Delete a webhook endpoint and its delivery history; pending deliveries to it are dropped */
        delete: {
            parameters: {
                query?: never;
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Deleted */
                204: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content?: never;
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/v1/webhooks/{id}/deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A webhook endpoint's deliveries, newest first, with every attempt */
        get: {
            parameters: {
                query?: {
                    cursor?: string;
                    limit?: number;
                };
                header?: never;
                path: {
                    id: string;
                };
                cookie?: never;
            };
            requestBody?: never;
            responses: {
                /** @description Default Response */
                200: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/json": {
                            deliveries: {
                                /** @description Every attempt so far, oldest first */
                                attempts: {
                                    attempt: number;
                                    durationMs: number;
                                    /** @description Why there was no usable answer (timeout, connection failed, address refused…) */
                                    error: string | null;
                                    /** Format: date-time */
                                    startedAt: string;
                                    /** @description The receiver's HTTP status, when it answered */
                                    statusCode: number | null;
                                    succeeded: boolean;
                                }[];
                                /** Format: date-time */
                                completedAt: string | null;
                                /** Format: date-time */
                                createdAt: string;
                                /** Format: uuid */
                                eventId: string;
                                /** @enum {string} */
                                eventType: "upload.succeeded" | "upload.failed" | "upload.cancelled" | "upload.deleted";
                                /** Format: uuid */
                                id: string;
                                /**
                                 * @description `pending` while attempts remain; then the final outcome
                                 * @enum {string}
                                 */
                                status: "pending" | "succeeded" | "failed";
                                /** Format: date-time */
                                updatedAt: string;
                                /** Format: uuid */
                                uploadId: string;
                            }[];
                            nextCursor: string | null;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                400: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                401: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                404: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
                /** @description Problem details (RFC 9457) */
                503: {
                    headers: {
                        [name: string]: unknown;
                    };
                    content: {
                        "application/problem+json": {
                            detail?: string;
                            instance?: string;
                            status: number;
                            title: string;
                            type: string;
                        } & {
                            [key: string]: unknown;
                        };
                    };
                };
            };
        };
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: never;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
