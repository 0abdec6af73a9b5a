"""The module hook and torchvision examples of the study notes (004: register_forward_hook with the output
89., register_backward_hook per child and on the whole model, the `viz` feature-map hook, the image-folder
Datasets with transforms and the PIL <-> Tensor helpers), run VERBATIM with `torch` bound to the engine and,
for parity, to PyTorch (+ torchvision when installed): see test_notes_nn_examples.py for the harness.
"""

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    '_notes_nn_harness', Path(__file__).with_name('test_notes_nn_examples.py'))
H = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(H)
IMPORTS = H.IMPORTS

HOOK_MODEL = '''
import torch
from torch import nn

class Model(nn.Module):
    def __init__(self):
        super(Model, self).__init__()
        self.fc1 = nn.Linear(3, 4)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(4, 1)
        self.initialize()

    def initialize(self):
        with torch.no_grad():
            self.fc1.weight = torch.nn.Parameter(
                torch.Tensor([[1., 2., 3.],
                              [-4., -5., -6.],
                              [7., 8., 9.],
                              [-10., -11., -12.]]))

            self.fc1.bias = torch.nn.Parameter(torch.Tensor([1.0, 2.0, 3.0, 4.0]))
            self.fc2.weight = torch.nn.Parameter(torch.Tensor([[1.0, 2.0, 3.0, 4.0]]))
            self.fc2.bias = torch.nn.Parameter(torch.Tensor([1.0]))

    def forward(self, x):
        o = self.fc1(x)
        o = self.relu1(o)
        o = self.fc2(o)
        return o
'''
BACKWARD_HOOK_FN = '''
total_grad_out = []
total_grad_in = []


def hook_fn_backward(module, grad_input, grad_output):
    print(module) # 为了区分模块
    # 为了符合反向传播的顺序,我们先打印 grad_output
    print('grad_output', grad_output)
    # 再打印 grad_input
    print('grad_input', grad_input)
    # 保存到全局变量
    total_grad_in.append(grad_input)
    total_grad_out.append(grad_output)
'''
BACKWARD_HOOK_TAIL = '''
x = torch.Tensor([[1.0, 1.0, 1.0]]).requires_grad_()
o = model(x)
o.backward()

print('==========Saved inputs and outputs==========')
for idx in range(len(total_grad_in)):
    print('grad output: ', total_grad_out[idx])
    print('grad input: ', total_grad_in[idx])
'''

SNIPPETS: dict[str, str] = {}
SNIPPETS.update({
    # 004 register_forward_hook (the notes' output: fc2 gives 89.)
    'forward_hook': HOOK_MODEL + """
# 全局变量,用于存储中间层的 feature
total_feat_out = []
total_feat_in = []

# 定义 forward hook function
def hook_fn_forward(module, input, output):
    print(module) # 用于区分模块
    print('input', input) # 首先打印出来
    print('output', output)
    total_feat_out.append(output) # 然后分别存入全局 list 中
    total_feat_in.append(input)


model = Model()

modules = model.named_children() #
for name, module in modules:
    module.register_forward_hook(hook_fn_forward)

x = torch.Tensor([[1.0, 1.0, 1.0]]).requires_grad_()
o = model(x)
o.backward()

print('==========Saved inputs and outputs==========')
for idx in range(len(total_feat_in)):
    print('input: ', total_feat_in[idx])
    print('output: ', total_feat_out[idx])
""",
    # 004 register_backward_hook on each child, then on the whole model
    'backward_hook': HOOK_MODEL + BACKWARD_HOOK_FN + """

model = Model()

modules = model.named_children()
for name, module in modules:
    module.register_backward_hook(hook_fn_backward)
""" + BACKWARD_HOOK_TAIL,
    'backward_hook_model': HOOK_MODEL + BACKWARD_HOOK_FN + """
model = Model()
model.register_backward_hook(hook_fn_backward)
""" + BACKWARD_HOOK_TAIL,
    # 004 `viz`: resnet18(pretrained)/cv2/plt replaced by a small conv net; the hook records shapes
    'hook_viz_fixed': IMPORTS + """
import numpy as np
shown = []
def viz(module, input, output):
    x = output[0][0].cpu()
    min_num = np.minimum(4, x.size()[0])
    for i in range(min_num):
        shown.append(tuple(x[i].shape))
model = nn.Sequential(nn.Conv2d(3, 2, 3), nn.ReLU(), nn.Sequential(nn.Conv2d(2, 5, 3)))
for name, m in model.named_modules():
    if isinstance(m, torch.nn.Conv2d):
        m.register_forward_hook(viz)
with torch.no_grad():
    model(torch.randn(1, 3, 9, 9))
print(shown)
""",
})

SNIPPETS.update({
    # 004 custom Datasets over image folders (images written to a temporary directory first)
    'image_folder_datasets': """
from PIL import Image
import numpy as np, os
for c in ("cat", "dog"):
    os.makedirs("root/" + c, exist_ok=True)
    for k in range(3):
        Image.fromarray(np.full((20, 24, 3), 40 * k, np.uint8)).save("root/%s/%d.png" % (c, k))
root = "root"
""" + """
import torch
from torchvision import transforms, datasets
from torch.utils import data

from PIL import Image

import glob

class Dataset(data.Dataset):
    def __init__(self, root, transforms=None):
        self.imgs = glob.glob(root+'/*')
        self.trans = transforms


    def __getitem__(self, index):
        x_path = self.imgs[index]
        img_x = Image.open(x_path)
        img_x = self.trans(img_x)

        return img_x

    def __len__(self):
        return len(self.imgs)

class Data_Loader():
    def __init__(self, img_size, img_path, batch_size):
        super(Data_Loader, self).__init__()
        self.img_size = img_size
        self.img_path = img_path
        self.batch_size = batch_size
        self.trans = transforms.Compose(
            [
                transforms.Resize((self.img_size, self.img_size)),
                transforms.ToTensor(),
                transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
            ]
        )
        self.dataset = Dataset(img_path, self.trans)


    def loader(self):
        loader = torch.utils.data.DataLoader(
            self.dataset,
            batch_size=self.batch_size,
            shuffle=True,
            num_workers=0,
            drop_last=True
        )

        return loader

for b in Data_Loader(8, root + "/cat", 2).loader():
    print(b.shape, b.dtype, b.min() >= -1, b.max() <= 1)
from torch.utils.data import DataLoader, Dataset
""" + """
class Dataset(Dataset):
    def __init__(self, root, transforms=None):
        # 用来存放数据路径和标签
        self.imgs = []
        # 制作index和class的映射
        self.label_map = {}
        i = 0
        # 先把各个类的文件夹找到
        paths = sorted(glob.glob(root + "/*"))
        for path in paths:

            self.label_map[path.split("/")[-1]] = i
            single_class = glob.glob(path + "/*")
            # 读取每一个class的文件夹下的数据
            for img in single_class:
                self.imgs.append((img, i))

            i += 1
        self.trans = transforms
        print(len(self.imgs))


    def __getitem__(self, index):
        img_path, label = self.imgs[index]
        img = Image.open(img_path)
        if self.trans:
            img = self.trans(img)

        return (img, label)

    def __len__(self):
        return len(self.imgs)

def ImageLoader(root, img_size, batch_size, train=True):
    if train:
        train_trans = transforms.Compose(
            [
                transforms.RandomResizedCrop((img_size, img_size)),
                transforms.ToTensor(),
                # transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
            ]
        )
        dataset = Dataset(root, train_trans)
        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=True,
            num_workers=0,
            drop_last=True
        )
    else:
        test_trans = transforms.Compose(
            [
                # transforms.Resize((img_size, img_size)),
                transforms.ToTensor(),
                # transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
            ]
        )
        dataset = Dataset(root, test_trans)
        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=False,
            num_workers=0,
            drop_last=False
        )

    return loader
for img, label in ImageLoader(root, 16, 4, train=True):
    print(img.shape, sorted(label.tolist()) in ([0, 0, 1, 1], [0, 0, 0, 1], [0, 1, 1, 1]))
for img, label in ImageLoader(root, 16, 4, train=False):
    print(img.shape, label)
""",
    # 004 transforms.Compose / ToPILImage and the PIL <-> Tensor helpers
    'pil_tensor': """
from PIL import Image
import numpy as np
Image.fromarray(np.arange(12 * 16 * 3, dtype=np.uint8).reshape(12, 16, 3)).save("pic.png")
import torch
from torchvision import transforms
device = torch.device("cpu")
t = transforms.Compose([
     transforms.CenterCrop(10),
     transforms.ToTensor(),
 ])
print(t(Image.open("pic.png")).shape)
""" + """
import torch
from PIL import Image

# loader使用torchvision中自带的transforms函数
loader = transforms.Compose([
    transforms.ToTensor()])

unloader = transforms.ToPILImage()
def image_loader(image_name):
    image = Image.open(image_name).convert('RGB')
    image = loader(image).unsqueeze(0)
    return image.to(device, torch.float)
def tensor_to_PIL(tensor):
    image = tensor.cpu().clone()
    image = image.squeeze(0)
    image = unloader(image)
    return image
def tensor_to_np(tensor):
    img = tensor.mul(255).byte()
    img = img.cpu().squeeze(0).numpy().transpose((1, 2, 0))
    return img
x = image_loader("pic.png")
print(x.shape, x.dtype, x[0, :, 0, 1])
back = tensor_to_PIL(x)
print(back.size, back.mode, np.array_equal(np.asarray(back), np.asarray(Image.open("pic.png"))))
print(tensor_to_np(x).shape, tensor_to_np(x).dtype, tensor_to_np(x)[0, 1])
""",
})

EXPECTED = {
    'forward_hook': (
        'Linear(in_features=3, out_features=4, bias=True)\n'
        'input (tensor([[1., 1., 1.]], requires_grad=True),)\n'
        'output tensor([[  7., -13.,  27., -29.]], grad_fn=<AddmmBackward0>)\n'
        'ReLU()\n'
        'input (tensor([[  7., -13.,  27., -29.]], grad_fn=<AddmmBackward0>),)\n'
        'output tensor([[ 7.,  0., 27.,  0.]], grad_fn=<ReluBackward0>)\n'
        'Linear(in_features=4, out_features=1, bias=True)\n'
        'input (tensor([[ 7.,  0., 27.,  0.]], grad_fn=<ReluBackward0>),)\n'
        'output tensor([[89.]], grad_fn=<AddmmBackward0>)\n'
        '==========Saved inputs and outputs==========\n'
        'input:  (tensor([[1., 1., 1.]], requires_grad=True),)\n'
        'output:  tensor([[  7., -13.,  27., -29.]], grad_fn=<AddmmBackward0>)\n'
        'input:  (tensor([[  7., -13.,  27., -29.]], grad_fn=<AddmmBackward0>),)\n'
        'output:  tensor([[ 7.,  0., 27.,  0.]], grad_fn=<ReluBackward0>)\n'
        'input:  (tensor([[ 7.,  0., 27.,  0.]], grad_fn=<ReluBackward0>),)\n'
        'output:  tensor([[89.]], grad_fn=<AddmmBackward0>)\n'
    ),
    'backward_hook': (
        'Linear(in_features=4, out_features=1, bias=True)\n'
        'grad_output (tensor([[1.]]),)\n'
        'grad_input (tensor([1.]), tensor([[1., 2., 3., 4.]]), tensor([[ 7.],\n'
        '        [ 0.],\n'
        '        [27.],\n'
        '        [ 0.]]))\n'
        'ReLU()\n'
        'grad_output (tensor([[1., 2., 3., 4.]]),)\n'
        'grad_input (tensor([[1., 0., 3., 0.]]),)\n'
        'Linear(in_features=3, out_features=4, bias=True)\n'
        'grad_output (tensor([[1., 0., 3., 0.]]),)\n'
        'grad_input (tensor([1., 0., 3., 0.]), tensor([[22., 26., 30.]]), tensor([[1., 0., 3., '
        '0.],\n'
        '        [1., 0., 3., 0.],\n'
        '        [1., 0., 3., 0.]]))\n'
        '==========Saved inputs and outputs==========\n'
        'grad output:  (tensor([[1.]]),)\n'
        'grad input:  (tensor([1.]), tensor([[1., 2., 3., 4.]]), tensor([[ 7.],\n'
        '        [ 0.],\n'
        '        [27.],\n'
        '        [ 0.]]))\n'
        'grad output:  (tensor([[1., 2., 3., 4.]]),)\n'
        'grad input:  (tensor([[1., 0., 3., 0.]]),)\n'
        'grad output:  (tensor([[1., 0., 3., 0.]]),)\n'
        'grad input:  (tensor([1., 0., 3., 0.]), tensor([[22., 26., 30.]]), tensor([[1., 0., 3., '
        '0.],\n'
        '        [1., 0., 3., 0.],\n'
        '        [1., 0., 3., 0.]]))\n'
    ),
    'backward_hook_model': (
        'Model(\n'
        '  (fc1): Linear(in_features=3, out_features=4, bias=True)\n'
        '  (relu1): ReLU()\n'
        '  (fc2): Linear(in_features=4, out_features=1, bias=True)\n'
        ')\n'
        'grad_output (tensor([[1.]]),)\n'
        'grad_input (tensor([1.]), tensor([[1., 2., 3., 4.]]), tensor([[ 7.],\n'
        '        [ 0.],\n'
        '        [27.],\n'
        '        [ 0.]]))\n'
        '==========Saved inputs and outputs==========\n'
        'grad output:  (tensor([[1.]]),)\n'
        'grad input:  (tensor([1.]), tensor([[1., 2., 3., 4.]]), tensor([[ 7.],\n'
        '        [ 0.],\n'
        '        [27.],\n'
        '        [ 0.]]))\n'
    ),
    'hook_viz_fixed': (
        '[(7,), (7,), (7,), (7,), (5,), (5,), (5,), (5,)]\n'
    ),
    'image_folder_datasets': (
        'torch.Size([2, 3, 8, 8]) torch.float32 tensor(True) tensor(True)\n'
        '6\n'
        'torch.Size([4, 3, 16, 16]) True\n'
        '6\n'
        'torch.Size([4, 3, 20, 24]) tensor([0, 0, 0, 1])\n'
        'torch.Size([2, 3, 20, 24]) tensor([1, 1])\n'
    ),
    'pil_tensor': (
        'torch.Size([3, 10, 10])\n'
        'torch.Size([1, 3, 12, 16]) torch.float32 tensor([0.0118, 0.0157, 0.0196])\n'
        '(16, 12) RGB True\n'
        '(12, 16, 3) uint8 [3 4 5]\n'
    ),
}


test_notes_output, test_notes_parity = H.notes_tests(SNIPPETS, EXPECTED, random=set())
