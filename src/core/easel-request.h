/* easel-request.h: one request to the OpenAI image APIs, and its wire form
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

typedef enum
{
  EASEL_API_IMAGES_GENERATE,   /* POST /images/generations (JSON) */
  EASEL_API_IMAGES_EDIT,       /* POST /images/edits (multipart) */
  EASEL_API_IMAGES_VARIATION,  /* POST /images/variations (multipart, dall-e-2) */
  EASEL_API_RESPONSES,         /* POST /responses with the image_generation tool */
} EaselApi;

const char *easel_api_to_string   (EaselApi api);   /* "generate", "edit", "variation", "responses" */
gboolean    easel_api_from_string (const char *str, EaselApi *api);

typedef enum
{
  EASEL_INPUT_IMAGE_BYTES,     /* inline bytes: multipart file, or data URL in JSON */
  EASEL_INPUT_IMAGE_FILE_ID,   /* Files API id */
  EASEL_INPUT_IMAGE_URL,       /* http(s) or data: URL */
} EaselInputImageKind;

typedef struct
{
  EaselInputImageKind kind;
  GBytes *bytes;       /* for BYTES */
  char   *filename;    /* for BYTES: the name sent in multipart */
  char   *mime_type;   /* for BYTES: image/png, image/jpeg, image/webp */
  char   *file_id;     /* for FILE_ID */
  char   *url;         /* for URL */
} EaselInputImage;

EaselInputImage *easel_input_image_new_bytes     (GBytes *bytes, const char *filename, const char *mime_type);
EaselInputImage *easel_input_image_new_file_id   (const char *file_id);
EaselInputImage *easel_input_image_new_url       (const char *url);
/* Loads the file and sniffs the type; fails with a clear message for
 * unreadable or non-image files. */
EaselInputImage *easel_input_image_new_from_file (GFile *file, GError **error);
/* The same with a size limit (the default is EASEL_LOCAL_FILE_MAX_IMAGE_BYTES);
 * only regular files are read (easel_local_file_load). */
EaselInputImage *easel_input_image_new_from_file_full (GFile *file, gsize max_bytes, GError **error);
EaselInputImage *easel_input_image_copy          (const EaselInputImage *self);
void             easel_input_image_free          (EaselInputImage *self);
/* "data:image/png;base64,…" for BYTES, the URL for URL, NULL for FILE_ID. */
char            *easel_input_image_to_data_url   (const EaselInputImage *self);
/* sha256 hex of the bytes, or of the id/url. */
char            *easel_input_image_hash          (const EaselInputImage *self);
/* "image/png", "image/jpeg", "image/webp", "image/gif" from magic bytes, or NULL. */
const char      *easel_image_sniff_mime          (const guint8 *data, gsize len);
/* An output_format ("png", "jpeg" or "jpg", "webp") as a MIME type;
 * anything else is PNG, the API's default. */
const char      *easel_image_mime_for_format     (const char *format);
/* The output_format naming of a MIME type: "jpeg", "webp", else "png". */
const char      *easel_image_format_for_mime     (const char *mime_type);
/* A file extension for a MIME type: "jpg", "webp", "gif", else "png". */
const char      *easel_image_extension_for_mime  (const char *mime_type);

/* The mainline model sent to /responses when responses_model is unset. */
#define EASEL_DEFAULT_RESPONSES_MODEL "gpt-4.1"

/* Unset integers are -1, unset strings NULL: unset fields are not sent. */
typedef struct
{
  EaselApi api;

  /* Image model and output options (Images API fields, or the tool's). */
  char *model;
  char *prompt;
  int   n;
  char *size;
  char *quality;
  char *background;
  char *output_format;
  int   output_compression;
  char *moderation;
  char *response_format;       /* dall-e only */
  char *style;                 /* dall-e-3 only */
  char *user;
  char *input_fidelity;
  gboolean stream;
  int   partial_images;        /* 0-3, -1 unset; only sent when streaming */

  GPtrArray *images;           /* EaselInputImage*: edits image[], responses input_image */
  EaselInputImage *mask;       /* edits mask, or the tool's input_image_mask */

  /* Responses API only */
  char *responses_model;       /* the mainline model, e.g. "gpt-4.1" */
  char *action;                /* auto, generate, edit */
  char *previous_response_id;
  GPtrArray *image_call_refs;  /* char*: earlier image_generation_call ids, sent as item_reference */
  char *instructions;
  char *service_tier;          /* auto, default, flex, priority; Responses only (the spec's
                                * CreateResponse has it, the Images API requests do not) */
  /* FALSE (the default) forces the image tool with tool_choice; TRUE lets
   * the model answer with text only. */
  gboolean let_model_decide;
  /* Sends `background: true` (the response outlives the connection and can
   * be resumed). Set by EaselClient, not by callers; never hashed. */
  gboolean run_in_background;
} EaselRequest;

GType         easel_request_get_type  (void) G_GNUC_CONST;
EaselRequest *easel_request_new       (EaselApi api);
EaselRequest *easel_request_copy      (const EaselRequest *self);
void          easel_request_free      (EaselRequest *self);
void          easel_request_add_image (EaselRequest *self, EaselInputImage *image /* transfer full */);
void          easel_request_set_mask  (EaselRequest *self, EaselInputImage *mask /* transfer full */);

/* "/images/generations", "/images/edits", "/images/variations", "/responses" */
/* is_multipart: variations always; edits when every image and the mask are
 * BYTES (otherwise the JSON edit body with image_url/file_id refs is used,
 * which the API accepts for GPT image models only). */
const char   *easel_request_get_path      (const EaselRequest *self);
gboolean      easel_request_is_multipart  (const EaselRequest *self);
/* The JSON body (generations, responses). */
JsonNode     *easel_request_to_json       (const EaselRequest *self, GError **error);
/* The multipart body (edits, variations): repeated `image[]` for several
 * images, `image` for one, as the official SDKs send them. */
SoupMultipart *easel_request_to_multipart (const EaselRequest *self, GError **error);
/* A stable sha256 over the API, model, every parameter, the prompt and every
 * input image's hash: the identical-request cache key. */
char         *easel_request_hash          (const EaselRequest *self);
/* The library's cache key: easel_request_hash() bound to the server
 * (@base_url, NULL = the default). Another server never shares a key. */
char         *easel_request_cache_key     (const EaselRequest *self,
                                           const char         *base_url);
/* The parameters as a flat JSON object (no image bytes), for the library. */
JsonNode     *easel_request_params_to_json (const EaselRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselRequest, easel_request_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EaselInputImage, easel_input_image_free)

G_END_DECLS
